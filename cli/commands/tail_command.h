// `evlog tail LOG`: prints events, by default the payloads of the last 10, one per line.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "args/position.h"
#include "codec/event_filter.h"
#include "codec/time_parse.h"

namespace CLI {
class App;
}

namespace evlog {

struct TailCommandOptions {
  std::string log_dir;
  std::optional<uint64_t> lines;  // -n: the last N (matching) events of the selected range
  std::optional<Position> from;
  std::optional<std::string> group;  // -g: start at the group's committed position
  std::optional<Position> to;     // inclusive
  std::optional<uint64_t> count;  // stop after this many (matching) events
  bool follow = false;
  bool wait = false;  // --wait: a log not created yet is waited for (tail_wait.h)
  std::optional<int64_t> since_ns;
  std::optional<int64_t> until_ns;  // inclusive
  bool json = false;
  std::optional<std::string> format;
  bool null_terminated = false;
  TimeZoneChoice zone = TimeZoneChoice::kLocal;  // of --format's %t
  EventFilterOptions filter;
};

CLI::App* RegisterTailCommand(CLI::App& parent, TailCommandOptions& options);

// Returns the exit status (exit_codes.h).
int RunTailCommand(const TailCommandOptions& options);

}  // namespace evlog
