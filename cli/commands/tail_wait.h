// `tail -f --wait LOG`: when LOG does not exist yet, wait for it to be created, then follow
// it from its first event. Without --wait a missing log is an error, as for every reader.
#pragma once

#include <optional>

#include "commands/tail_command.h"

namespace CLI {
class App;
}

namespace evlog {

// Registers --wait on tail (it needs -f).
void AddWaitOption(CLI::App& tail, TailCommandOptions& options);

// Returns once options.log_dir holds a log (at once if it does already). If it had to wait
// and no start was given (-n, --from, --since, -g), options start at the beginning instead of
// the last 10 events: every event of a new log is new. A directory that is not a log and
// cannot become one (it holds other files) ends the wait with the error reading it would
// give: the exit status is returned after reporting it. SIGINT or SIGTERM during the wait
// ends the process as the signal does, with nothing printed.
std::optional<int> WaitForLog(TailCommandOptions& options);

}  // namespace evlog
