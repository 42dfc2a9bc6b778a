// An LD_PRELOAD shim that freezes a command at a chosen point of its output, so a test can
// look at the world while the command is half way through, on any machine speed. Once
// writes (pwrite, write) to files whose path contains $EVLOG_STOP_DIR have stored
// $EVLOG_STOP_AFTER bytes, the command stops itself with SIGSTOP before its next such
// write, as if the scheduler had frozen it there. Resumed with SIGCONT, it writes on.
// Waiting for a byte count and then sending SIGSTOP from the test races a fast writer:
// the whole write may be over before the signal lands. Not part of evlog.
#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <cstdlib>

#include "shim_util.h"

namespace {

bool UnderWatchedDir(int fd) {
  static const char* dir = std::getenv("EVLOG_STOP_DIR");
  return evlog_shim::PathOfFdContains(fd, dir);
}

// Charges `count` written bytes; stops the process once, before the first write that
// follows the budget's end.
void StopOnceBudgetIsSpent(size_t count) {
  static long long left = evlog_shim::EnvNumber("EVLOG_STOP_AFTER");
  static bool stopped = false;
  if (!stopped && left <= 0) {
    stopped = true;
    raise(SIGSTOP);
  }
  left -= static_cast<long long>(count);
}

template <typename Fn, typename... Offset>
ssize_t Write(Fn real, int fd, const void* buf, size_t count, Offset... offset) {
  if (count != 0 && UnderWatchedDir(fd)) StopOnceBudgetIsSpent(count);
  return real(fd, buf, count, offset...);
}

}  // namespace

EVLOG_SHIM_ROUTE_WRITES_THROUGH(Write)
