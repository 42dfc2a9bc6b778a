// --wait-lock DURATION, shared by the commands that take the log's lock (append, compact).
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "eventlog/log.h"

namespace CLI {
class App;
}

namespace evlog {

void AddWaitLockOption(CLI::App& app, std::optional<std::chrono::milliseconds>& wait_lock);

// Bounds the wait for LOG/LOCK by `wait_lock` (unbounded without it) and has a wait longer
// than about a second say on stderr who holds the lock.
void ApplyLockOptions(eventlog::LogOptions& options, std::optional<std::chrono::milliseconds> wait_lock,
                      std::string_view command);

}  // namespace evlog
