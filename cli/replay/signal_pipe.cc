#include "replay/signal_pipe.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <string>

namespace evlog {
namespace {

int g_write_fd = -1;
int g_read_fd = -1;
volatile sig_atomic_t g_termination = 0;

constexpr int kHandled[] = {SIGINT, SIGTERM, SIGCHLD};

void OnSignal(int signo) {
  int saved_errno = errno;
  if ((signo == SIGINT || signo == SIGTERM) && g_termination == 0) g_termination = signo;
  const char byte = static_cast<char>(signo);
  // A full pipe is already readable: dropping the byte loses no wake-up.
  [[maybe_unused]] ssize_t n = write(g_write_fd, &byte, 1);
  errno = saved_errno;
}

eventlog::Status Errno(const std::string& what) {
  return eventlog::Status::IOError(what + ": " + std::strerror(errno));
}

}  // namespace

eventlog::Result<SignalPipe*> SignalPipe::Install() {
  static SignalPipe instance;
  if (g_read_fd >= 0) return &instance;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return Errno("pipe");
  g_read_fd = fds[0];
  g_write_fd = fds[1];
  struct sigaction action {};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART | SA_NOCLDSTOP;
  for (int signo : kHandled) {
    if (sigaction(signo, &action, nullptr) != 0) return Errno("sigaction");
  }
  return &instance;
}

int SignalPipe::fd() const { return g_read_fd; }

void SignalPipe::Drain() const {
  char buf[64];
  while (read(g_read_fd, buf, sizeof buf) > 0) {
  }
}

int SignalPipe::termination() const { return g_termination; }

int SignalPipe::Sleep(std::chrono::milliseconds duration) const {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point deadline = Clock::now() + duration;
  while (g_termination == 0) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) break;
    struct pollfd pfd = {g_read_fd, POLLIN, 0};
    if (poll(&pfd, 1, static_cast<int>(std::min<int64_t>(left.count(), INT32_MAX))) > 0) Drain();
  }
  return g_termination;
}

void SignalPipe::ResetInChild() {
  struct sigaction action {};
  action.sa_handler = SIG_DFL;
  sigemptyset(&action.sa_mask);
  for (int signo : kHandled) sigaction(signo, &action, nullptr);
  sigaction(SIGPIPE, &action, nullptr);
  sigaction(SIGXFSZ, &action, nullptr);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
}

}  // namespace evlog
