// Waiting for LOG/LOCK (format-spec §6.2 step 1) without waiting silently.
//
// Appenders hold the lock for one write and one fdatasync (or, for an atomic batch written
// while it is read from a file, as long as the file takes to read), so a wait longer than a
// second usually means the holder is stuck: stopped with SIGSTOP, blocked on a dead NFS
// server, or waiting for input while holding it. The caller is told who holds it, and can bound the wait.
// The uncontended path costs one non-blocking flock; only a contended one arms a watcher.
#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "format.h"
#include "log_impl.h"
#include "wait_notifier.h"

namespace eventlog {
namespace {

constexpr auto kPatienceBeforeNotice = std::chrono::seconds(1);

}  // namespace

std::string Log::Impl::DescribeLockHolder() {
  const std::string path = Path(format::kLockFileName);
  const std::string holder = fs_->LockHolder(path);
  return holder.empty() ? fmt::format("{} is held by another process", path) : fmt::format("{} is held by {}", path, holder);
}

void Log::Impl::NoticeLockWait() {
  if (on_lock_wait_) on_lock_wait_(fmt::format("waiting for the log's lock: {}", DescribeLockHolder()));
}

Result<std::unique_ptr<FileLock>> Log::Impl::AcquireLock() {
  const std::string path = Path(format::kLockFileName);
  EVLOG_ASSIGN_OR_RETURN(std::unique_ptr<FileLock> lock, fs_->TryLock(path));
  if (lock) return lock;
  auto notice = [this] { NoticeLockWait(); };
  if (!lock_timeout_) {
    // Blocking: the lock passes to the next waiter at once. Only a caller that listens gets
    // a watcher, and it is the log's one notifier thread, not a new one per wait.
    if (!on_lock_wait_) return fs_->Lock(path);
    ArmedWait watch(lock_wait_notifier_, kPatienceBeforeNotice, notice);
    return fs_->Lock(path);
  }
  // A bounded wait polls, since a blocking flock cannot be given a deadline.
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + *lock_timeout_;
  bool noticed = false;
  auto pause = std::chrono::microseconds(100);
  while (true) {
    EVLOG_ASSIGN_OR_RETURN(lock, fs_->TryLock(path));
    if (lock) return lock;
    const auto now = std::chrono::steady_clock::now();
    // Before the deadline's check: a wait of a second or more says so even if this thread
    // was not scheduled between the second and the deadline.
    if (!noticed && now - start >= kPatienceBeforeNotice) {
      NoticeLockWait();
      noticed = true;
    }
    if (now >= deadline) {
      return Status::Busy(fmt::format("{} after waiting {} ms; nothing was changed. If that process is stuck, stop it",
                                      DescribeLockHolder(), lock_timeout_->count()));
    }
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(pause, deadline - now));
    pause = std::min(pause * 2, std::chrono::microseconds(10000));
  }
}

}  // namespace eventlog
