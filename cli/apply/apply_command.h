// `evlog apply LOG --to TARGET -g GROUP [-f] [--create-tables]`: applies the change events
// of LOG (format-spec/change-events.md) to a SQLite or PostgreSQL database, exactly once:
// the group's position lives in the target, committed with the rows it covers (§C6).
#pragma once

#include <cstdint>
#include <string>

namespace CLI {
class App;
}

namespace evlog {

struct ApplyCommandOptions {
  std::string log_dir;
  enum class TargetKind { kSqlite, kPostgres };
  TargetKind target_kind = TargetKind::kSqlite;
  // --to without the scheme: sqlite:PATH gives PATH; postgres:CONNINFO gives CONNINFO, and a
  // postgres:// or postgresql:// URI is kept whole (libpq reads it as it is).
  std::string target;
  std::string group;
  bool follow = false;
  bool create_tables = false;
  uint64_t batch = 10'000;  // events per transaction at most (kMaxRunEvents)
};

CLI::App* RegisterApplyCommand(CLI::App& parent, ApplyCommandOptions& options);

// Returns the exit status (exit_codes.h): 1 for an event the target refuses, 4 for a
// corrupt log, 128 + N when ended by signal N.
int RunApplyCommand(const ApplyCommandOptions& options);

}  // namespace evlog
