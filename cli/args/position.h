// Positions in a log for `tail --from/--to`: an offset, "beginning", "end", or "-N" (N
// before the end).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "eventlog/log.h"

namespace evlog {

struct Position {
  enum class Kind { kOffset, kBeginning, kEnd, kBeforeEnd };
  Kind kind = Kind::kOffset;
  uint64_t value = 0;  // the offset, or N for kBeforeEnd
};

std::optional<Position> ParsePosition(std::string_view text);

// The offset a position names in `info`, for --from (the first event to print):
// "end" is the next offset to be appended, "-N" is next_offset - N (0 if that is negative).
uint64_t StartOffset(const Position& position, const eventlog::LogInfo& info);

// One past the last offset to print, for --to (inclusive): "end" is the last committed
// event, "-N" is the event at next_offset - N, as for --from.
uint64_t EndOffsetExclusive(const Position& position, const eventlog::LogInfo& info);

}  // namespace evlog
