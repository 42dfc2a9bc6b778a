#include "term/mapping_fault.h"

#include <signal.h>
#include <unistd.h>

#include <cstring>

#include "term/exit_codes.h"

namespace evlog {
namespace {

// Only async-signal-safe calls: write, _exit, sigaction, raise.
void OnBus(int signo, siginfo_t* info, void*) {
  if (info == nullptr || info->si_code != BUS_ADRERR) {
    struct sigaction fallback {};
    fallback.sa_handler = SIG_DFL;
    sigaction(signo, &fallback, nullptr);
    raise(signo);  // delivered when this handler returns
    return;
  }
  static const char kMessage[] =
      "evlog: stopped: a page of a file of the log mapped by this process could not be read (SIGBUS): the file "
      "was cut short by another program while in use (LOG/QUEUE or a segment truncated or rewritten), the "
      "device failed to read it, or a full copy-on-write file system could not give it space. If this was an "
      "append, whether its events are in the log is unknown: look with `evlog tail`. Do not truncate or "
      "rewrite the files of a log in use.\n";
  [[maybe_unused]] ssize_t n = write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
  _exit(kExitError);
}

}  // namespace

void ReportMappingFaults() {
  struct sigaction action {};
  action.sa_sigaction = OnBus;
  action.sa_flags = SA_SIGINFO;
  sigemptyset(&action.sa_mask);
  sigaction(SIGBUS, &action, nullptr);
}

}  // namespace evlog
