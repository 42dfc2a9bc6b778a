// The outbox's value lists (format-spec/change-events.md §C1.2): the literals SQLite's
// quote() writes, joined by commas, read back into values.
#pragma once

#include <functional>
#include <string_view>
#include <vector>

#include "codec/change_event.h"
#include "eventlog/status.h"

namespace evlog {

// Converts a REAL literal (one with '.' or 'e') to its double. The relay passes SQLite's own
// conversion, the one quote() promises to round-trip with.
using RealParser = std::function<eventlog::Result<double>(std::string_view literal)>;

// Parses a whole value list. kCorruption, saying where, for anything that is not one.
eventlog::Result<std::vector<SqlValue>> ParseValueList(std::string_view list, const RealParser& parse_real);

}  // namespace evlog
