// Tables for people (groups, ls): left-aligned columns two spaces apart, the last column
// unpadded so that no line ends in blanks. Scripts read the --json output instead.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "codec/output_buffer.h"

namespace evlog {

using TableRow = std::vector<std::string>;

// rows[0] is the header. Prints nothing when there is no data row. Cells are printed as
// DisplayText() gives them.
void AppendTable(const std::vector<TableRow>& rows, OutputBuffer& out);

// `text` as a terminal may safely show it in a line of text: control bytes (tab, newline,
// ESC, DEL, and the C1 controls U+0080..U+009F), which would break the columns or be taken
// as terminal commands, and bytes that are not UTF-8, become \xNN, and a backslash becomes
// \\ so that the result reads back unambiguously. Group names, for one, may be any bytes
// (format-spec §11).
std::string DisplayText(std::string_view text);

}  // namespace evlog
