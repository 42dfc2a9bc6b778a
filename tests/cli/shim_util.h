// Shared by the LD_PRELOAD shims of the CLI tests (crash_at_sync, enospc_after, fsync_trace,
// stop_after_bytes, sync_order_trace): the wrapped libc function, the path behind a
// descriptor, the environment's settings, and wrappers for every write call.
#pragma once

#include <dlfcn.h>
#include <limits.h>
#include <unistd.h>

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace evlog_shim {

// The next definition of `name` after the shim's own: libc's.
template <typename Fn>
Fn Real(const char* name) {
  return reinterpret_cast<Fn>(dlsym(RTLD_NEXT, name));
}

// Writes the path `fd` was opened with (from /proc/self/fd) into path[0..size); false if
// it cannot be read. Returns the path's length in *length when given.
inline bool PathOfFd(int fd, char* path, size_t size, size_t* length = nullptr) {
  char link[64];
  std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  const ssize_t n = readlink(link, path, size - 1);
  if (n <= 0) return false;
  path[n] = '\0';
  if (length != nullptr) *length = static_cast<size_t>(n);
  return true;
}

// Whether the path `fd` was opened with contains `part`; false for a null or empty `part`
// (the shim's environment variable was not set).
inline bool PathOfFdContains(int fd, const char* part) {
  if (part == nullptr || *part == '\0') return false;
  char path[PATH_MAX];
  return PathOfFd(fd, path, sizeof path) && std::strstr(path, part) != nullptr;
}

// The number in environment variable `name`, 0 if it is not set.
inline long long EnvNumber(const char* name) {
  const char* n = std::getenv(name);
  return n != nullptr ? std::atoll(n) : 0LL;
}

}  // namespace evlog_shim

// Defines pwrite, pwrite64 and write to call `Write(real, fd, buf, count[, offset])`, a
// function template of the including shim that decides what happens to the write; `real`
// is libc's function. For shims that treat every kind of write alike.
#define EVLOG_SHIM_ROUTE_WRITES_THROUGH(Write)                                                     \
  extern "C" ssize_t pwrite(int fd, const void* buf, size_t count, off_t offset) {                 \
    static auto real = evlog_shim::Real<ssize_t (*)(int, const void*, size_t, off_t)>("pwrite");   \
    return Write(real, fd, buf, count, offset);                                                    \
  }                                                                                                \
  extern "C" ssize_t pwrite64(int fd, const void* buf, size_t count, off_t offset) {               \
    static auto real = evlog_shim::Real<ssize_t (*)(int, const void*, size_t, off_t)>("pwrite64"); \
    return Write(real, fd, buf, count, offset);                                                    \
  }                                                                                                \
  extern "C" ssize_t write(int fd, const void* buf, size_t count) {                                \
    static auto real = evlog_shim::Real<ssize_t (*)(int, const void*, size_t)>("write");           \
    return Write(real, fd, buf, count);                                                            \
  }
