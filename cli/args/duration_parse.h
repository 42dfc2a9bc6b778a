// Durations on the command line, parsed the same way by every option that takes one
// (replay --timeout, --backoff, --backoff-max; --wait-lock; compact --retain-age,
// --tombstone-retention; the -10m of --since and --until): a whole number followed by a
// unit, e.g. 250ms, 2s, 5m, 1h, 7d.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace evlog {

// At most 100 years: arithmetic on steady_clock nanoseconds cannot overflow below that.
inline constexpr std::chrono::milliseconds kMaxDuration = std::chrono::hours(24 * 365 * 100);

// Units: ms, s, m, h, d. A unit is required ("2" alone is rejected: seconds or milliseconds?).
// nullopt on anything else (a sign, a fraction, a space), and on durations above kMaxDuration.
std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text);

// "250ms", "2s", "5m", "1h", "7d": the largest unit that represents `duration` exactly.
std::string FormatDuration(std::chrono::milliseconds duration);

}  // namespace evlog
