// Tables for people (groups, ls): left-aligned columns two spaces apart, the last column
// unpadded so that no line ends in blanks. Scripts read the --json output instead.
#pragma once

#include <string>
#include <vector>

#include "codec/output_buffer.h"

namespace evlog {

using TableRow = std::vector<std::string>;

// rows[0] is the header. Prints nothing when there is no data row.
void AppendTable(const std::vector<TableRow>& rows, OutputBuffer& out);

}  // namespace evlog
