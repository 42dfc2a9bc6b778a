#include "term/interruption.h"

#include <unistd.h>

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
