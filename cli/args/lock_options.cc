#include "args/lock_options.h"

#include <CLI/CLI.hpp>

#include <string>

#include "args/cli_validators.h"
#include "args/duration_parse.h"
#include "term/report.h"

namespace evlog {

void AddWaitLockOption(CLI::App& app, std::optional<std::chrono::milliseconds>& wait_lock) {
  app.add_option_function<std::string>(
         "--wait-lock", [&wait_lock](const std::string& s) { wait_lock = ParseDuration(s); },
         "Give up (exit 1, nothing changed) if another process holds the log's lock for longer than DUR "
         "(250ms, 5s, 1m); by default wait as long as it takes")
      ->type_name("DUR")
      ->check(DurationValidator());
}

void ApplyLockOptions(eventlog::LogOptions& options, std::optional<std::chrono::milliseconds> wait_lock,
                      std::string_view command) {
  options.lock_timeout = wait_lock;
  options.on_lock_wait = [command = std::string(command)](const std::string& message) {
    PrintNote(command, message);
  };
}

}  // namespace evlog
