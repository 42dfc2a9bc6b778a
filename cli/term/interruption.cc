#include "term/interruption.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

namespace evlog {
namespace {

volatile sig_atomic_t interruption = 0;

void OnInterruption(int signal) {
  if (interruption == 0) interruption = signal;
}

}  // namespace

void CatchInterruptions() {
  struct sigaction action {};
  action.sa_handler = OnInterruption;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: a blocked read returns EINTR
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

int Interruption() { return interruption; }

int WaitForInputOrInterruption(int fd) {
  // With the two signals blocked, none can slip in between the check of the flag and the
  // wait; ppoll() unblocks them atomically as it starts to sleep, so a pending one ends it.
  sigset_t interruptions, unblocked;
  sigemptyset(&interruptions);
  sigaddset(&interruptions, SIGINT);
  sigaddset(&interruptions, SIGTERM);
  sigprocmask(SIG_BLOCK, &interruptions, &unblocked);
  int received = 0;
  while ((received = interruption) == 0) {
    struct pollfd input = {.fd = fd, .events = POLLIN, .revents = 0};
    // Readable, hung up or in error: the caller's read() returns at once and says which.
    if (ppoll(&input, 1, nullptr, &unblocked) > 0 || errno != EINTR) break;
  }
  sigprocmask(SIG_SETMASK, &unblocked, nullptr);
  return received;
}

void HoldInterruptions(bool hold) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigprocmask(hold ? SIG_BLOCK : SIG_UNBLOCK, &set, nullptr);
}

void ReraiseInterruption() {
  const int signal = interruption;
  std::signal(signal, SIG_DFL);
  HoldInterruptions(false);
  raise(signal);
  _exit(128 + signal);
}

}  // namespace evlog
