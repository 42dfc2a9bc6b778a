// Log internals shared by the writer and readers.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "eventlog/log.h"
#include "format_blocks.h"
#include "wait_notifier.h"

namespace eventlog {

class LogWriter;

class Log::Impl {
 public:
  Impl(FileSystem* fs, std::string dir, LogMeta meta, std::unique_ptr<File> head_file, const LogOptions& options);
  ~Impl();

  FileSystem* fs() const { return fs_; }
  const std::string& dir() const { return dir_; }
  const LogMeta& meta() const { return meta_; }
  std::string Path(std::string_view name) const { return dir_ + "/" + std::string(name); }
  uint64_t max_batch_bytes() const;

  // The committed end as a reader sees it (format-spec §6.4): HEAD when it is exact; when
  // HEAD is missing, invalid or stale and no writer holds the lock, the end found from the
  // frames (tail_scan.h), made durable before it is returned. Never modifies the log, so it
  // works on a log its user can only read. kBusy if HEAD stays invalid while a writer holds
  // the lock. Thread-safe.
  Result<HeadRecord> CommittedHead();
  // HEAD as the file says, nullopt if it is missing or not valid (format-spec §6.1); for
  // reports that compare it with CommittedHead().
  Result<std::optional<HeadRecord>> PublishedHead();

  // Takes the append lock and runs recovery now (format-spec §8).
  Status Recover();

  // Runs `fn` holding the append lock (this process's writer mutex and LOG/LOCK) with the
  // committed end adopted or recovered first; see LogWriter::RunLocked.
  Status RunLocked(const std::function<Status(const HeadRecord&)>& fn);

  Result<AppendResult> Append(const Batch& batch, const AppendOptions& options);
  Result<std::unique_ptr<AtomicAppend>> BeginAtomicAppend(const AppendOptions& options);  // atomic_append.cc

  // Takes LOG/LOCK exclusively, waiting as LogOptions says (lock_wait.cc).
  Result<std::unique_ptr<FileLock>> AcquireLock();
  // LogOptions bounds the wait for LOG/LOCK.
  bool lock_wait_bounded() const { return lock_timeout_.has_value(); }
  // Tells the caller's on_lock_wait, if any, who holds LOG/LOCK: for a wait of a second.
  void NoticeLockWait();
  std::string DescribeLockHolder();

  // Takes LOG/LOCK for maintenance that must not run recovery first (setting damaged
  // segments aside). While it is held, CommittedHead() in this thread reads the end from the
  // frames as the lock's holder instead of waiting for a writer that is itself.
  Result<std::unique_ptr<FileLock>> LockForMaintenance();

  void AddNote(std::string note);
  std::vector<std::string> notes() const;

 private:
  struct PendingAppend;
  LogWriter& writer();  // created on first use; requires writer_mu_

  Result<std::optional<HeadRecord>> ReadCurrentHead();
  Result<bool> HeadIsExact(const HeadRecord& head);
  Result<HeadRecord> CommittedEndFromFrames();

  FileSystem* fs_;
  std::string dir_;
  LogMeta meta_;
  std::optional<std::chrono::milliseconds> lock_timeout_;
  std::function<void(const std::string&)> on_lock_wait_;
  WaitNotifier lock_wait_notifier_;  // tells on_lock_wait_ of a long wait (lock_wait.cc)

  class OwnerScope;
  std::atomic<std::thread::id> lock_owner_{};  // the thread holding LOCK for RunLocked/maintenance
  std::mutex head_mu_;               // guards the two handles below
  std::unique_ptr<File> head_file_;  // read-only handle for CommittedHead(); null if missing
  std::unique_ptr<File> probe_;      // the segment HEAD last named, to compare sizes
  uint64_t probe_base_ = 0;
  // The last end found from the frames, and what it was found from: until HEAD or the newest
  // segment changes, the answer is the same, and a reader of a log whose HEAD lags (a
  // read-only copy: until a writer runs, forever) does not rescan at every segment.
  struct FramesEnd {
    std::optional<HeadRecord> head;
    uint64_t newest_base = 0;
    uint64_t newest_size = 0;
    HeadRecord end;
  };
  std::optional<FramesEnd> frames_end_;

  // Group commit (LevelDB's writer queue): the front of the queue commits everything
  // compatible that queued up behind it under one lock and one fdatasync.
  std::mutex queue_mu_;
  std::deque<PendingAppend*> queue_;
  std::mutex writer_mu_;
  std::unique_ptr<LogWriter> writer_;

  mutable std::mutex notes_mu_;
  std::vector<std::string> notes_;
};

}  // namespace eventlog
