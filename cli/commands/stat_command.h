// `evlog stat LOG [--json]`: offsets, event count, bytes on disk, segments, time range, and
// each consumer group with its position and lag.
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace evlog {

struct StatCommandOptions {
  std::string log_dir;
  bool json = false;
};

CLI::App* RegisterStatCommand(CLI::App& parent, StatCommandOptions& options);

int RunStatCommand(const StatCommandOptions& options);

}  // namespace evlog
