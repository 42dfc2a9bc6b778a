// Points in time on the command line (--since, --until) and in JSON output.
// All times are nanoseconds since the Unix epoch, like eventlog::Event::timestamp_ns.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace evlog {

// Accepts, in this order of recognition:
//   RFC 3339:   2026-11-29T10:00:00Z, 2026-11-29T10:00:00.25+02:00 ('t', ' ', 'z' also)
//   a date:     2026-11-29 (midnight UTC)
//   Unix time:  1764410400 (seconds) or 1764410400000 (milliseconds: any bare integer
//               >= 10^11, which as seconds would be past the year 5000)
//   relative:   -30s, -10m, -2h, -1d, -500ms before `now_ns`; "now"
// nullopt if the text is none of these or is out of the representable range.
std::optional<int64_t> ParseTime(std::string_view text, int64_t now_ns);

// The current wall-clock time.
int64_t NowNanos();

// "2026-11-29T21:33:54.123456789Z": always UTC, always 9 fractional digits.
inline constexpr size_t kRfc3339NanosLength = 30;
void FormatRfc3339Nanos(int64_t timestamp_ns, char out[kRfc3339NanosLength]);
std::string Rfc3339Nanos(int64_t timestamp_ns);

}  // namespace evlog
