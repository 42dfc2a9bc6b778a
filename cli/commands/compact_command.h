// `evlog compact LOG`: retention and key compaction. Removes whole closed segments below the
// retention point (--retain-bytes, --retain-age, --before), oldest first, keeping every event
// a consumer group has not acked unless --ignore-groups; with --keep-latest-per-key, rewrites
// closed segments to keep only the newest event of each key (tombstones go after
// --tombstone-retention); --dry-run only prints the plan.
//
//   evlog compact orders --retain-age 7d --dry-run
//   evlog compact users --keep-latest-per-key --tombstone-retention 12h
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "args/position.h"

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
  std::optional<std::chrono::milliseconds> wait_lock;
  bool keep_latest_per_key = false;
  std::optional<std::chrono::milliseconds> tombstone_retention;
};

CLI::App* RegisterCompactCommand(CLI::App& parent, CompactCommandOptions& options);

// Returns the exit status (exit_codes.h).
int RunCompactCommand(const CompactCommandOptions& options);

}  // namespace evlog
