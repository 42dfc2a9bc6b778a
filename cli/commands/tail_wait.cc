#include "commands/tail_wait.h"

#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <csignal>
#include <filesystem>

#include "eventlog/log.h"
#include "term/interruption.h"
#include "term/report.h"

namespace evlog {
namespace {

constexpr char kWaitingCommand[] = "tail";
// Polling backs off from 50 ms to 1 s: a log created soon after is followed at once, and a
// long wait costs a stat a second. inotify wakes the wait earlier where it can watch.
constexpr int kFirstPollMs = 50;
constexpr int kLongestPollMs = 1000;

// META is renamed into place complete (format-spec §2): once it is there the log opens, as
// an empty log if its creator has not made the first segment yet.
bool HasMeta(const std::string& dir) {
  struct stat st {};
  return stat((dir + "/META").c_str(), &st) == 0;
}

// "a/b/log/" -> "a/b"; "log" -> ".".
std::string ParentOf(const std::string& dir) {
  std::filesystem::path path(dir);
  if (!path.has_filename()) path = path.parent_path();  // a trailing '/'
  std::string parent = path.parent_path().string();
  return parent.empty() ? "." : parent;
}

// An inotify instance that wakes the wait when an entry is created in the log's directory
// or, while that is missing, in its parent. Without inotify (or with no directory to watch
// yet) the wait polls alone.
class CreationWatch {
 public:
  explicit CreationWatch(const std::string& dir)
      : dir_(dir), parent_(ParentOf(dir)), fd_(inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {}
  ~CreationWatch() {
    if (fd_ >= 0) close(fd_);
  }
  CreationWatch(const CreationWatch&) = delete;
  CreationWatch& operator=(const CreationWatch&) = delete;

  // Sleeps until something is created where the log will be, or `timeout_ms` passes, or a
  // signal arrives. Watches are added anew each time: the directory may have appeared.
  void Wait(int timeout_ms) {
    if (fd_ < 0) {
      poll(nullptr, 0, timeout_ms);
      return;
    }
    constexpr uint32_t kEvents = IN_CREATE | IN_MOVED_TO | IN_ONLYDIR;
    inotify_add_watch(fd_, parent_.c_str(), kEvents);  // fails harmlessly while missing
    inotify_add_watch(fd_, dir_.c_str(), kEvents);
    pollfd watched{.fd = fd_, .events = POLLIN, .revents = 0};
    if (poll(&watched, 1, timeout_ms) > 0) {
      char events[4096];
      while (read(fd_, events, sizeof events) > 0) {
      }
    }
  }

 private:
  std::string dir_;
  std::string parent_;
  int fd_;
};

// Why `dir` cannot become a log by someone creating one there, or OK if it can: missing,
// empty, or holding only what a creation in progress leaves (Log::CheckCreatable).
eventlog::Status CheckCanStillAppear(const std::string& dir) {
  eventlog::Status creatable = eventlog::Log::CheckCreatable(dir);
  // META may have been renamed into place since it was looked for.
  if (!creatable.ok() && HasMeta(dir)) return eventlog::Status::Ok();
  return creatable;
}

}  // namespace

void AddWaitOption(CLI::App& tail, TailCommandOptions& o) {
  tail.add_flag("--wait", o.wait,
                "With -f: if LOG does not exist yet, wait until it is created, then follow it from its first "
                "event")
      ->needs(tail.get_option("--follow"));
}

std::optional<int> WaitForLog(TailCommandOptions& o) {
  if (HasMeta(o.log_dir)) return std::nullopt;
  CatchInterruptions();
  CreationWatch watch(o.log_dir);
  int timeout_ms = kFirstPollMs;
  while (!HasMeta(o.log_dir)) {
    if (Interruption()) ReraiseInterruption();
    eventlog::Status can_appear = CheckCanStillAppear(o.log_dir);
    if (!can_appear.ok()) return ReportFailure(kWaitingCommand, can_appear);
    watch.Wait(timeout_ms);
    timeout_ms = std::min(2 * timeout_ms, kLongestPollMs);
  }
  // From here on a signal ends tail as it ends any follower: by its default action.
  if (Interruption()) ReraiseInterruption();
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  if (!o.lines && !o.from && !o.since_ns && !o.group) o.from = Position{Position::Kind::kBeginning, 0};
  return std::nullopt;
}

}  // namespace evlog
