// CLI11 validators for evlog's value syntaxes. A value they reject is a usage error
// (exit status 2), reported before any log is opened.
#pragma once

#include <CLI/CLI.hpp>

namespace evlog {

CLI::Validator SizeValidator();      // size_parse.h: 4096, 64K, 16M
CLI::Validator TimeValidator();      // time_parse.h: dates and times (local or zoned), today, -10m, Unix time
CLI::Validator PositionValidator();  // position.h: offset, beginning, end, -N
CLI::Validator HeaderValidator();    // NAME=VALUE with a non-empty NAME
CLI::Validator FormatValidator();    // format_string.h: a --format template
CLI::Validator DurationValidator();  // duration_parse.h: 250ms, 2s, 5m, 1h, 7d

}  // namespace evlog
