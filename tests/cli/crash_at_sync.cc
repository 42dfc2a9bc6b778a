// An LD_PRELOAD shim for CLI tests: kills the process with SIGKILL just before its N-th
// durability call (fsync, fdatasync, msync), N taken from $EVLOG_CRASH_AT_SYNC. Every write
// path in evlog makes its progress durable through these calls, so running a command once
// for each N crashes it at each step of its commit protocol in turn. Not part of evlog.
//
// With $EVLOG_SYNC_FAULT=eio, that call fails with EIO instead (and syncs nothing): a disk
// that reports a write error, for the tests of what a failed fsync leaves behind.
//
// With $EVLOG_CRASH_SIGNAL=N, the process sends itself signal N instead and then makes the
// call: a Ctrl-C or `kill` arriving at that exact step, for the tests of what a command
// that catches the signal leaves behind.
//
// With $EVLOG_CRASH_AT_WRITES_TO=SUFFIX, a pwrite to a file whose name ends with SUFFIX
// counts as such a call too: the moment after one store committed and before the other was
// touched (LMDB commits with a write to an O_DSYNC descriptor, not a sync call, so a kill
// before the next sync would come too late to land between the two).
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "shim_util.h"

namespace {

std::atomic<long> calls{0};

// Called before each durability call: at the chosen one, kills the process, or returns false
// when that call must fail with EIO instead. True: make the call.
bool Proceed() {
  static const long crash_at = [] {
    const char* n = std::getenv("EVLOG_CRASH_AT_SYNC");
    return n != nullptr ? std::atol(n) : 0L;
  }();
  static const bool fail_instead = [] {
    const char* mode = std::getenv("EVLOG_SYNC_FAULT");
    return mode != nullptr && std::strcmp(mode, "eio") == 0;
  }();
  static const int signal_instead = [] {
    const char* n = std::getenv("EVLOG_CRASH_SIGNAL");
    return n != nullptr ? std::atoi(n) : 0;
  }();
  if (crash_at <= 0 || ++calls != crash_at) return true;
  if (signal_instead > 0) {
    kill(getpid(), signal_instead);
    return true;
  }
  if (!fail_instead) kill(getpid(), SIGKILL);
  errno = EIO;
  return false;
}

// True if `fd` names a file ending with $EVLOG_CRASH_AT_WRITES_TO.
bool WritesCount(int fd) {
  static const char* suffix = std::getenv("EVLOG_CRASH_AT_WRITES_TO");
  if (suffix == nullptr || *suffix == '\0') return false;
  char path[PATH_MAX];
  size_t n = 0;
  if (!evlog_shim::PathOfFd(fd, path, sizeof path, &n)) return false;
  const size_t len = std::strlen(suffix);
  return n >= len && std::strcmp(path + n - len, suffix) == 0;
}

using evlog_shim::Real;

}  // namespace

extern "C" int fsync(int fd) {
  static auto real = Real<int (*)(int)>("fsync");
  return Proceed() ? real(fd) : -1;
}

extern "C" int fdatasync(int fd) {
  static auto real = Real<int (*)(int)>("fdatasync");
  return Proceed() ? real(fd) : -1;
}

extern "C" int msync(void* addr, size_t length, int flags) {
  static auto real = Real<int (*)(void*, size_t, int)>("msync");
  if ((flags & MS_SYNC) && !Proceed()) return -1;
  return real(addr, length, flags);
}

extern "C" ssize_t pwrite(int fd, const void* buf, size_t count, off_t offset) {
  static auto real = Real<ssize_t (*)(int, const void*, size_t, off_t)>("pwrite");
  if (WritesCount(fd) && !Proceed()) return -1;
  return real(fd, buf, count, offset);
}

extern "C" ssize_t pwrite64(int fd, const void* buf, size_t count, off_t offset) {
  static auto real = Real<ssize_t (*)(int, const void*, size_t, off_t)>("pwrite64");
  if (WritesCount(fd) && !Proceed()) return -1;
  return real(fd, buf, count, offset);
}
