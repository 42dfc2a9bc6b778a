// Running one command under supervision, for `replay`: its input written to its stdin
// through a pipe, a time limit, and SIGINT/SIGTERM forwarded to it.
//
// The command runs in a process group of its own, and every signal goes to the group, so
// that a shell command's own children are stopped too. When the time limit passes the group
// gets SIGTERM, then SIGKILL after a grace period. A SIGINT or SIGTERM sent to evlog is
// forwarded to the group, which then gets the same grace period. If evlog itself dies, the
// command gets SIGKILL (PR_SET_PDEATHSIG), so that a restarted replay never runs alongside
// it; only the command's own process is covered, not its children.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eventlog/status.h"
#include "replay/signal_pipe.h"

namespace evlog {

struct ChildSpec {
  std::vector<std::string> argv;         // argv[0] is looked up in PATH (execvp)
  std::vector<std::string> environment;  // NAME=VALUE, the child's whole environment
};

struct ChildLimits {
  std::optional<std::chrono::milliseconds> timeout;
  std::chrono::milliseconds kill_grace{2000};  // between SIGTERM and SIGKILL
};

struct ChildResult {
  enum class End { kExited, kSignaled, kTimedOut };
  End end = End::kExited;
  int value = 0;           // the exit status, or the signal that ended it
  int interrupted_by = 0;  // the SIGINT/SIGTERM forwarded to it, or 0

  bool succeeded() const { return end == End::kExited && value == 0 && interrupted_by == 0; }
  // "exit 65", "signal 9", "timeout"
  std::string Describe() const;
};

// Runs the command to its end with `input` on its stdin. A command that does not read all
// of its input is not an error (its exit status decides). Errors: the command could not be
// started (not found, not executable, fork failed), or waiting for it failed;
// kInvalidArgument when exec found the arguments and environment too large (E2BIG).
eventlog::Result<ChildResult> RunChild(const ChildSpec& spec, std::string_view input,
                                       const ChildLimits& limits, const SignalPipe& signals);

}  // namespace evlog
