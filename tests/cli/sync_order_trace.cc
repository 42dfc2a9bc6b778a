// An LD_PRELOAD shim for CLI tests: appends to $EVLOG_SYNC_TRACE one line per durability
// step and per acknowledgement, in the order the process made them:
//   fdatasync PATH | fsync PATH   a file or directory made durable
//   pwrite PATH                   a write to a file named HEAD (publishing the committed end)
//   stdout                        a write(2) to standard output (e.g. `append -p` offsets)
// A kill loop cannot see a missing fdatasync (the page cache survives SIGKILL); the order of
// these calls can: offsets printed before the segment's fdatasync are an acknowledgement a
// power loss can take back. Not part of evlog.
#include <dlfcn.h>
#include <fcntl.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "shim_util.h"

namespace {

using evlog_shim::Real;

// Appends "WHAT PATH\n" (PATH may be empty); open/write/close per line so that nothing is
// buffered when the process is killed or exits.
void Record(const char* what, const char* path) {
  const char* trace = std::getenv("EVLOG_SYNC_TRACE");
  if (trace == nullptr) return;
  static auto real_write = Real<ssize_t (*)(int, const void*, size_t)>("write");
  const int out = open(trace, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (out < 0) return;
  char line[PATH_MAX + 32];
  const int len = std::snprintf(line, sizeof line, "%s%s%s\n", what, *path ? " " : "", path);
  if (real_write(out, line, static_cast<size_t>(len)) < 0) {}
  close(out);
}

void RecordFd(const char* what, int fd) {
  char path[PATH_MAX];
  if (evlog_shim::PathOfFd(fd, path, sizeof path)) Record(what, path);
}

bool IsHead(int fd) {
  char path[PATH_MAX];
  if (!evlog_shim::PathOfFd(fd, path, sizeof path)) return false;
  const size_t n = std::strlen(path);
  return n >= 5 && std::strcmp(path + n - 5, "/HEAD") == 0;
}

}  // namespace

extern "C" int fdatasync(int fd) {
  static auto real = Real<int (*)(int)>("fdatasync");
  const int rc = real(fd);
  if (rc == 0) RecordFd("fdatasync", fd);
  return rc;
}

extern "C" int fsync(int fd) {
  static auto real = Real<int (*)(int)>("fsync");
  const int rc = real(fd);
  if (rc == 0) RecordFd("fsync", fd);
  return rc;
}

extern "C" ssize_t pwrite(int fd, const void* data, size_t size, off_t offset) {
  static auto real = Real<ssize_t (*)(int, const void*, size_t, off_t)>("pwrite");
  if (IsHead(fd)) RecordFd("pwrite", fd);
  return real(fd, data, size, offset);
}

extern "C" ssize_t pwrite64(int fd, const void* data, size_t size, off_t offset) {
  static auto real = Real<ssize_t (*)(int, const void*, size_t, off_t)>("pwrite64");
  if (IsHead(fd)) RecordFd("pwrite", fd);
  return real(fd, data, size, offset);
}

extern "C" ssize_t write(int fd, const void* data, size_t size) {
  static auto real = Real<ssize_t (*)(int, const void*, size_t)>("write");
  if (fd == STDOUT_FILENO) Record("stdout", "");
  return real(fd, data, size);
}
