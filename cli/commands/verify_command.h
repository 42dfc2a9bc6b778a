// `evlog verify LOG [--repair [--force]]`: reads everything and reports every problem with
// its file, byte position and offsets; --repair cuts a torn tail and rebuilds indexes,
// and with --force moves damaged segments aside (never deletes them).
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace CLI {
class App;
}

namespace evlog {

struct VerifyCommandOptions {
  std::string log_dir;
  bool repair = false;
  bool force = false;
  std::optional<std::chrono::milliseconds> wait_lock;  // --repair takes the log's lock
};

CLI::App* RegisterVerifyCommand(CLI::App& parent, VerifyCommandOptions& options);

// Returns the exit status (exit_codes.h): 0 when no committed data is damaged, 4 when it is.
int RunVerifyCommand(const VerifyCommandOptions& options);

}  // namespace evlog
