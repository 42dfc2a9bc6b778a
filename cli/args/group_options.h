// Command-line values shared by the consumer-group subcommands (ack, tail -g, groups).
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string_view>

#include "args/position.h"

namespace evlog {

// A group name: 1 to 255 bytes (format-spec §11). Anything else is a usage error.
CLI::Validator GroupNameValidator();

// Where `groups --reset-to` moves a group: a position as for `tail --from` (an offset,
// beginning, end, -N) or "@TIME" with TIME as for `tail --since` (time_parse.h), meaning
// the first event at or after TIME.
struct ResetTarget {
  std::optional<Position> position;
  std::optional<int64_t> time_ns;
};

std::optional<ResetTarget> ParseResetTarget(std::string_view text, int64_t now_ns);
CLI::Validator ResetTargetValidator();

}  // namespace evlog
