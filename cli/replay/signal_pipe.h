// Signals as readable bytes: `replay` waits for its child, a timeout and SIGINT/SIGTERM in
// one poll(2) loop. The handlers for SIGINT, SIGTERM and SIGCHLD write the signal number
// to a non-blocking self-pipe, so poll wakes up however the signal and the call race.
//
// A SIGINT or SIGTERM is also remembered (termination()): it ends `replay`, which first
// forwards it to the running child, waits for it and exits with 128 + the signal number.
// A blocking call other than poll (a library read, an LMDB commit) is restarted after the
// handler runs (SA_RESTART); poll and the library's WaitForAppend return early instead.
#pragma once

#include <chrono>

#include "eventlog/status.h"

namespace evlog {

class SignalPipe {
 public:
  // Creates the pipe and installs the handlers. At most one SignalPipe per process.
  static eventlog::Result<SignalPipe*> Install();

  // Readable whenever a handled signal arrived since the last Drain().
  int fd() const;
  void Drain() const;

  // The first SIGINT or SIGTERM received, or 0.
  int termination() const;

  // Waits for `duration`, returning early on a termination signal; returns termination().
  int Sleep(std::chrono::milliseconds duration) const;

  // For a forked child before exec: handlers back to SIG_DFL, SIGPIPE and SIGXFSZ no longer
  // ignored (main ignores them and exec would keep that), every signal unblocked.
  // Async-signal-safe. The parent blocks all signals around fork(), so no handler of
  // this process runs in the child before this call.
  static void ResetInChild();
};

}  // namespace evlog
