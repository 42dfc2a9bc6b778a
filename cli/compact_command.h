// `evlog compact LOG`: retention. Removes whole closed segments below the retention point
// (--retain-bytes, --retain-age, --before), oldest first, keeping every event a consumer
// group has not acked unless --ignore-groups; --dry-run only prints the plan.
//
//   evlog compact orders --retain-age 7d --dry-run
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "position.h"

namespace CLI {
class App;
}

namespace evlog {

struct CompactCommandOptions {
  std::string log_dir;
  std::optional<uint64_t> retain_bytes;
  std::optional<std::chrono::milliseconds> retain_age;
  std::optional<Position> before;
  bool ignore_groups = false;
  bool dry_run = false;
};

CLI::App* RegisterCompactCommand(CLI::App& parent, CompactCommandOptions& options);

// Returns the exit status (exit_codes.h).
int RunCompactCommand(const CompactCommandOptions& options);

}  // namespace evlog
