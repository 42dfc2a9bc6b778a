// An LD_PRELOAD shim for CLI tests: kills the process with SIGKILL just before its N-th
// durability call (fsync, fdatasync, msync), N taken from $EVLOG_CRASH_AT_SYNC. Every write
// path in evlog makes its progress durable through these calls, so running a command once
// for each N crashes it at each step of its commit protocol in turn. Not part of evlog.
#include <dlfcn.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>

namespace {

std::atomic<long> calls{0};

void MaybeCrash() {
  static const long crash_at = [] {
    const char* n = std::getenv("EVLOG_CRASH_AT_SYNC");
    return n != nullptr ? std::atol(n) : 0L;
  }();
  if (crash_at > 0 && ++calls == crash_at) kill(getpid(), SIGKILL);
}

template <typename Fn>
Fn Real(const char* name) {
  return reinterpret_cast<Fn>(dlsym(RTLD_NEXT, name));
}

}  // namespace

extern "C" int fsync(int fd) {
  static auto real = Real<int (*)(int)>("fsync");
  MaybeCrash();
  return real(fd);
}

extern "C" int fdatasync(int fd) {
  static auto real = Real<int (*)(int)>("fdatasync");
  MaybeCrash();
  return real(fd);
}

extern "C" int msync(void* addr, size_t length, int flags) {
  static auto real = Real<int (*)(void*, size_t, int)>("msync");
  if (flags & MS_SYNC) MaybeCrash();
  return real(addr, length, flags);
}
