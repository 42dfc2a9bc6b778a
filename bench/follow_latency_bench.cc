// `tail -f` wake-up latency: how long after Log::Append returns does a following
// `evlog tail -f` print the event? Appends single durable events (sync=true, as `evlog
// append` commits by default) a gap apart, so that the follower is asleep each time, and
// reads each one back from the follower's stdout, timing from the append's return to the
// line's arrival. That includes the pipe and this process's own wake-up: an upper bound.
//
//   evlog_bench_follow --dir DIR --evlog PATH/TO/evlog [--count N (1000)] [--gap-us G (2000)]
//
// DIR must exist; the program creates DIR/follow-log and leaves it for the caller to remove.
// Prints key=value lines (wake_p50_us=..., wake_p99_us=...).

#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "bench_common.h"
#include "eventlog/batch.h"
#include "eventlog/log.h"

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;

using evlog_bench::Die;
using evlog_bench::ParseCount;

// The follower: `evlog tail LOG -f --from beginning`, its stdout on a pipe read line by line.
class Follower {
 public:
  Follower(const std::string& evlog, const std::string& log_dir) {
    int fds[2];
    if (pipe(fds) != 0) Die(std::string("pipe: ") + std::strerror(errno));
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    posix_spawn_file_actions_addclose(&actions, fds[1]);
    std::vector<std::string> args = {evlog, "tail", log_dir, "-f", "--from", "beginning"};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int rc = posix_spawn(&pid_, evlog.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) Die("cannot start " + evlog + ": " + std::strerror(rc));
    close(fds[1]);
    fd_ = fds[0];
  }
  ~Follower() {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
    close(fd_);
  }

  // The next line, without its newline; dies if none comes within 10 s.
  std::string NextLine() {
    for (;;) {
      size_t newline = buffered_.find('\n');
      if (newline != std::string::npos) {
        std::string line = buffered_.substr(0, newline);
        buffered_.erase(0, newline + 1);
        return line;
      }
      pollfd p{.fd = fd_, .events = POLLIN, .revents = 0};
      if (poll(&p, 1, 10'000) != 1) Die("the follower printed nothing for 10 s");
      char chunk[4096];
      ssize_t n = read(fd_, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) Die("the follower exited");
      buffered_.append(chunk, static_cast<size_t>(n));
    }
  }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
  std::string buffered_;
};

}  // namespace

int main(int argc, char** argv) {
  constexpr const char* kUsage = "usage: evlog_bench_follow --dir DIR --evlog PATH [--count N] [--gap-us G]";
  std::string dir, evlog;
  uint64_t count = 1000;
  uint64_t gap_us = 2000;
  constexpr uint64_t kWarmup = 20;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (i + 1 >= argc) Die(kUsage);
    if (arg == "--dir") {
      dir = argv[++i];
    } else if (arg == "--evlog") {
      evlog = argv[++i];
    } else if (arg == "--count") {
      count = ParseCount("--count", argv[++i]);
    } else if (arg == "--gap-us") {
      gap_us = ParseCount("--gap-us", argv[++i]);
    } else {
      Die("unknown argument " + std::string(arg));
    }
  }
  if (dir.empty() || evlog.empty() || count == 0) Die(kUsage);
  const std::string log_dir = dir + "/follow-log";
  std::error_code ignored;
  std::filesystem::remove_all(log_dir, ignored);
  auto log = eventlog::Log::Open(log_dir, {.create_if_missing = true});
  if (!log) Die("open " + log_dir + ": " + log.error().message());
  eventlog::Batch batch = (*log)->NewBatch();
  auto append = [&](const std::string& payload) {
    batch.Clear();
    if (!batch.Add({.payload = payload}).ok()) Die("batch add failed");
    auto appended = (*log)->Append(batch);
    if (!appended) Die("append: " + appended.error().message());
  };

  append("start");
  Follower follower(evlog, log_dir);
  if (follower.NextLine() != "start") Die("the follower's first line is not the first event");
  std::vector<double> wake_us;
  for (uint64_t i = 0; i < count + kWarmup; ++i) {
    std::this_thread::sleep_for(std::chrono::microseconds(gap_us));
    const std::string payload = std::to_string(i);
    append(payload);
    const Clock::time_point returned = Clock::now();
    if (follower.NextLine() != payload) Die("the follower printed another event than the one appended");
    if (i >= kWarmup) wake_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - returned).count());
  }
  std::printf("gap_us=%llu\n", static_cast<unsigned long long>(gap_us));
  evlog_bench::PrintSummary("wake", evlog_bench::Summarise(wake_us));
  return 0;
}
