// `evlog capture sqlite DB ...`: install capture into a SQLite database (triggers writing an
// outbox), uninstall it, or relay the outbox into a log (format-spec/change-events.md).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "capture/postgres/capture_postgres.h"

namespace CLI {
class App;
}

namespace evlog {

struct CaptureCommandOptions {
  std::string db_path;
  std::optional<std::string> log_dir;  // relay target
  bool install = false;
  bool uninstall = false;
  std::vector<std::string> tables;
  bool follow = false;
  bool snapshot = false;
  bool postgres_selected = false;  // `capture postgres`, whose options are these:
  pg::CapturePostgresOptions postgres;
};

// Registers `capture` with its `sqlite` and `postgres` subcommands; returns `capture`.
CLI::App* RegisterCaptureCommand(CLI::App& parent, CaptureCommandOptions& options);

// Returns the exit status (exit_codes.h).
int RunCaptureCommand(const CaptureCommandOptions& options);

}  // namespace evlog
