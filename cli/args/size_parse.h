// Sizes on the command line: a byte count with an optional binary suffix.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace evlog {

// "4096", "64K", "16M", "1G" (K = 1024; "KB", "KiB" and lower case are accepted too).
// nullopt on anything else, including overflow.
std::optional<uint64_t> ParseSize(std::string_view text);

// Parses a non-negative decimal integer that must span all of `text`.
std::optional<uint64_t> ParseUnsigned(std::string_view text);

}  // namespace evlog
