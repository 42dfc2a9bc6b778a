// Durations on the command line (replay --timeout, --backoff, --backoff-max): a whole
// number followed by a unit, e.g. 250ms, 2s, 5m, 1h.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace evlog {

// At most 100 years: arithmetic on steady_clock nanoseconds cannot overflow below that.
inline constexpr std::chrono::milliseconds kMaxDuration = std::chrono::hours(24 * 365 * 100);

// Units: ms, s, m, h. A unit is required ("2" alone is rejected: seconds or milliseconds?).
// nullopt on anything else, including durations above kMaxDuration.
std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text);

// As ParseDuration, and also d (days) for retention spans: 7d, 12h, 90m (compact --retain-age).
std::optional<std::chrono::milliseconds> ParseRetentionDuration(std::string_view text);

// "250ms", "2s", "5m", "1h": the largest unit that represents `duration` exactly.
std::string FormatDuration(std::chrono::milliseconds duration);

}  // namespace evlog
