// Shared by the LD_PRELOAD shims of the CLI tests (crash_at_sync, fsync_trace,
// sync_order_trace): the wrapped libc function, and the path behind a descriptor.
#pragma once

#include <dlfcn.h>
#include <unistd.h>

#include <cstddef>
#include <cstdio>

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

}  // namespace evlog_shim
