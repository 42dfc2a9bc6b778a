#include "args/cli_validators.h"

#include "args/duration_parse.h"
#include "codec/format_string.h"
#include "args/position.h"
#include "args/size_parse.h"
#include "codec/time_parse.h"

namespace evlog {

CLI::Validator SizeValidator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        return ParseSize(text) ? "" : "'" + text + "' is not a size (examples: 4096, 64K, 16M, 1G)";
      },
      "", "size");
}

CLI::Validator TimeValidator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        if (ParseTime(text, NowNanos())) return "";
        return "'" + text +
               "' is not a time (examples: '2026-11-29 10:00' (local time), 2026-11-29T10:00:00Z, "
               "2026-11-29, today, yesterday, -10m, '2h ago', 1764410400)";
      },
      "", "time");
}

CLI::Validator PositionValidator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        if (ParsePosition(text)) return "";
        return "'" + text + "' is not a position (an offset, beginning, end, or -N)";
      },
      "", "position");
}

CLI::Validator HeaderValidator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        size_t eq = text.find('=');
        return eq != std::string::npos && eq > 0 ? "" : "'" + text + "' is not NAME=VALUE";
      },
      "", "header");
}

CLI::Validator FormatValidator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        auto compiled = FormatString::Compile(text);
        return compiled ? "" : compiled.error().message();
      },
      "", "format");
}

CLI::Validator DurationValidator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        return ParseDuration(text) ? "" : "'" + text + "' is not a duration: a whole number and a unit (ms, s, m, h, d), e.g. 250ms, 2s, 5m, 1h, 7d";
      },
      "", "duration");
}

}  // namespace evlog
