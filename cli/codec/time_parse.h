// Points in time on the command line (--since, --until) and in JSON output.
// All times are nanoseconds since the Unix epoch, like eventlog::Event::timestamp_ns.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace evlog {

// Accepts, in this order of recognition:
//   named:      now; today and yesterday (local midnight, in the zone TZ names)
//   date-time:  2026-11-29, 2026-11-29 07:00, 2026-11-29T07:00:00.25 ('T', 't' or ' '),
//               each optionally with a zone (Z, z, +01:00, -05:30); without one the
//               reading is local time (TZ, as journalctl does), a bare date its midnight
//   relative:   -30s, -10m, -2h, -1d, -500ms, or 30s ago, 2h ago: before `now_ns`, in the
//               duration syntax of every other option (duration_parse.h)
//   Unix time:  1764410400 (seconds) or 1764410400000 (milliseconds: any bare integer
//               >= 10^11, which as seconds would be past the year 5000)
// nullopt if the text is none of these or is out of the representable range.
std::optional<int64_t> ParseTime(std::string_view text, int64_t now_ns);

// RFC 3339 only, as JSON envelopes carry it: a date, a clock with seconds, and a zone.
std::optional<int64_t> ParseRfc3339(std::string_view text);

// The current wall-clock time.
int64_t NowNanos();

// "2026-11-29T21:33:54.123456789Z": always UTC, always 9 fractional digits.
inline constexpr size_t kRfc3339NanosLength = 30;
void FormatRfc3339Nanos(int64_t timestamp_ns, char out[kRfc3339NanosLength]);
std::string Rfc3339Nanos(int64_t timestamp_ns);

// For people (`tail --format %t`): milliseconds, and the zone TZ names with its offset
// ("2026-11-29T22:33:54.123+01:00") or UTC ("2026-11-29T21:33:54.123Z").
enum class TimeZoneChoice { kLocal, kUtc };
inline constexpr size_t kReadableTimeMaxLength = 29;
// Returns the number of bytes written.
size_t FormatReadableTime(int64_t timestamp_ns, TimeZoneChoice zone, char out[kReadableTimeMaxLength]);

}  // namespace evlog
