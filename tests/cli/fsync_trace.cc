// An LD_PRELOAD shim for CLI tests: appends "fsync PATH" to $EVLOG_FSYNC_TRACE for every
// fsync(2) of a directory, so that a test can check which directories a command synced
// (a new directory entry is durable only after its parent is synced). Not part of evlog.
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "shim_util.h"

extern "C" int fsync(int fd) {
  static auto real = evlog_shim::Real<int (*)(int)>("fsync");
  const int rc = real(fd);
  struct stat st;
  const char* trace = std::getenv("EVLOG_FSYNC_TRACE");
  if (trace == nullptr || fstat(fd, &st) != 0 || !S_ISDIR(st.st_mode)) return rc;
  char path[PATH_MAX];
  if (!evlog_shim::PathOfFd(fd, path, sizeof path)) return rc;
  const int out = open(trace, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (out >= 0) {
    char line[PATH_MAX + 16];
    const int len = std::snprintf(line, sizeof line, "fsync %s\n", path);
    if (write(out, line, static_cast<size_t>(len)) < 0) {}
    close(out);
  }
  return rc;
}
