// An LD_PRELOAD shim for the NATS bridge tests: kills the process with SIGKILL as soon as
// it has received its N-th JetStream API reply, N taken from $EVLOG_CRASH_AT_JS_REPLY. An
// API reply (consumer info, create, delete...) carries "io.nats.jetstream.api.v1." in its
// JSON; at that moment the server has done what was asked and the client does not know yet.
// Running a command once for each N crashes it right after each of its JetStream requests
// in turn. Replies are found per recv() call: one split between two calls would be missed,
// which shifts the count but crashes nowhere else. Not part of evlog.
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>

#include "shim_util.h"

namespace {

constexpr char kApiReply[] = "io.nats.jetstream.api.v1.";
std::atomic<long> replies{0};

void Count(const void* data, ssize_t n) {
  static const long crash_at = [] {
    const char* v = std::getenv("EVLOG_CRASH_AT_JS_REPLY");
    return v != nullptr ? std::atol(v) : 0L;
  }();
  if (crash_at <= 0 || n <= 0) return;
  const char* at = static_cast<const char*>(data);
  const char* end = at + n;
  while (const void* found = memmem(at, static_cast<size_t>(end - at), kApiReply, sizeof kApiReply - 1)) {
    if (replies.fetch_add(1) + 1 >= crash_at) kill(getpid(), SIGKILL);
    at = static_cast<const char*>(found) + sizeof kApiReply - 1;
  }
}

}  // namespace

extern "C" ssize_t recv(int fd, void* buffer, size_t length, int flags) {
  static auto real = evlog_shim::Real<ssize_t (*)(int, void*, size_t, int)>("recv");
  const ssize_t n = real(fd, buffer, length, flags);
  Count(buffer, n);
  return n;
}

extern "C" ssize_t read(int fd, void* buffer, size_t length) {
  static auto real = evlog_shim::Real<ssize_t (*)(int, void*, size_t)>("read");
  const ssize_t n = real(fd, buffer, length);
  Count(buffer, n);
  return n;
}
