// An LD_PRELOAD shim for the resource-exhaustion test: the file system fills up. Writes
// (pwrite, write) to files whose path contains $EVLOG_ENOSPC_DIR may store
// $EVLOG_ENOSPC_AFTER bytes in all; the write that crosses the budget stores what still fits
// and returns that short count, and every later one fails with ENOSPC, as on a full disk.
// Not part of evlog.
#include <errno.h>
#include <sys/types.h>
#include <unistd.h>

#include <cstdlib>

#include "shim_util.h"

namespace {

bool UnderFullDir(int fd) {
  static const char* dir = std::getenv("EVLOG_ENOSPC_DIR");
  return evlog_shim::PathOfFdContains(fd, dir);
}

// How many of `count` bytes the disk still takes; charges them.
size_t Admit(size_t count) {
  static long long left = evlog_shim::EnvNumber("EVLOG_ENOSPC_AFTER");
  const size_t admitted = left <= 0 ? 0 : (static_cast<long long>(count) < left ? count : static_cast<size_t>(left));
  left -= static_cast<long long>(admitted);
  return admitted;
}

template <typename Fn, typename... Offset>
ssize_t Write(Fn real, int fd, const void* buf, size_t count, Offset... offset) {
  if (count == 0 || !UnderFullDir(fd)) return real(fd, buf, count, offset...);
  const size_t admitted = Admit(count);
  if (admitted == 0) {
    errno = ENOSPC;
    return -1;
  }
  return real(fd, buf, admitted, offset...);
}

}  // namespace

EVLOG_SHIM_ROUTE_WRITES_THROUGH(Write)
