// `evlog replay LOG [-g GROUP] -- CMD [ARGS...]`: runs CMD once per event (or per batch),
// with the payload on its stdin, retrying failures with backoff, dead-lettering what cannot
// be delivered, and acking what was delivered to the group, in order.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "args/position.h"

namespace CLI {
class App;
}

namespace evlog {

struct ReplayCommandOptions {
  std::string log_dir;
  std::optional<std::string> group;
  std::optional<Position> from;
  std::optional<Position> to;  // inclusive
  bool follow = false;
  std::optional<std::chrono::milliseconds> timeout;
  std::chrono::milliseconds backoff{500};
  std::chrono::milliseconds backoff_max{30'000};
  int max_attempts = 5;
  std::optional<std::string> dead_letter;
  std::optional<uint64_t> batch;
  std::vector<std::string> command;
};

CLI::App* RegisterReplayCommand(CLI::App& parent, ReplayCommandOptions& options);

// Returns the exit status (exit_codes.h): 5 when an event could not be delivered and there
// is no dead-letter log; 128 + N when ended by signal N (SIGINT, SIGTERM).
int RunReplayCommand(const ReplayCommandOptions& options);

}  // namespace evlog
