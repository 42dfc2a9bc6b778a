// WaitForInputOrInterruption: the wait that lets import stop on SIGINT or SIGTERM while its
// producer stalls. Each case runs in a child process, because a received signal stays
// recorded for the rest of the process, and because a wait that wrongly sleeps forever must
// fail the test, not hang it.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include <doctest/doctest.h>

#include "term/interruption.h"

namespace evlog {
namespace {

constexpr int kStillWaiting = -1;

struct Pipe {
  int read_end = -1;
  int write_end = -1;
  Pipe() {
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    read_end = fds[0];
    write_end = fds[1];
  }
  ~Pipe() {
    close(read_end);
    close(write_end);
  }
};

// Runs child_body in a child process and then parent_step(child) here; returns the child's
// exit status, or kStillWaiting if it had not ended five seconds later (it is then killed).
template <typename ChildBody, typename ParentStep>
int RunChild(ChildBody child_body, ParentStep parent_step) {
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) _exit(child_body());
  parent_step(child);
  for (int waited_ms = 0; waited_ms < 5000; waited_ms += 5) {
    int status = 0;
    if (waitpid(child, &status, WNOHANG) == child) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    usleep(5000);
  }
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  return kStillWaiting;
}

TEST_CASE("ASignalReceivedJustBeforeTheWaitEndsIt") {
  // The race the function exists for: the signal lands after the caller last looked at
  // Interruption() but before it blocks. The input stays open and silent throughout.
  Pipe input;
  int status = RunChild(
      [&] {
        CatchInterruptions();
        raise(SIGTERM);
        return WaitForInputOrInterruption(input.read_end) == SIGTERM ? 0 : 1;
      },
      [](pid_t) {});
  CHECK_MESSAGE(status != kStillWaiting, "the wait slept through a SIGTERM received just before it");
  CHECK(status == 0);
}

TEST_CASE("ASignalSentWhileTheChildHeadsForTheWaitEndsIt") {
  // Sent as soon as the child says it is about to wait: it lands before or during the wait,
  // as the scheduler decides; repeated so that both happen.
  for (int round = 0; round < 20; ++round) {
    Pipe input, about_to_wait;
    int status = RunChild(
        [&] {
          CatchInterruptions();
          if (write(about_to_wait.write_end, "x", 1) != 1) return 2;
          return WaitForInputOrInterruption(input.read_end) == SIGINT ? 0 : 1;
        },
        [&](pid_t child) {
          char byte;
          REQUIRE(read(about_to_wait.read_end, &byte, 1) == 1);
          if (round % 2) usleep(1000);  // and, every other round, surely during the wait
          kill(child, SIGINT);
        });
    CAPTURE(round);
    CHECK_MESSAGE(status != kStillWaiting, "the wait slept through a SIGINT");
    CHECK(status == 0);
  }
}

TEST_CASE("ReadyInputEndsTheWaitWithoutASignal") {
  SUBCASE("data") {
    Pipe input;
    REQUIRE(write(input.write_end, "x", 1) == 1);
    CHECK(WaitForInputOrInterruption(input.read_end) == 0);
  }
  SUBCASE("end of input") {
    Pipe input;
    close(input.write_end);
    input.write_end = -1;
    CHECK(WaitForInputOrInterruption(input.read_end) == 0);
  }
  SUBCASE("a regular file") {
    char path[] = "/tmp/evlog-interruption-XXXXXX";
    int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    unlink(path);
    CHECK(WaitForInputOrInterruption(fd) == 0);
    close(fd);
  }
}

}  // namespace
}  // namespace evlog
