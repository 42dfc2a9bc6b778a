// A log: a directory of segments that many processes may append to and read at once.
//
//   auto log = eventlog::Log::Open("/var/lib/app/events", {.create_if_missing = true});
//   eventlog::Batch batch = (*log)->NewBatch();
//   batch.Add({.payload = "hello"});
//   auto appended = (*log)->Append(batch);        // durable when it returns OK
//   auto reader = (*log)->NewReader();
//
// Appends from several processes are serialised by an flock on LOG/LOCK; readers take no
// lock and only ever see events below the durable committed end (format-spec §6).
// A Log belongs to the process that opened it: a child made by fork() opens the log again
// rather than use the parent's object (flocks on shared file descriptions, and the thread
// that reports long lock waits, stay with the parent).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "eventlog/atomic_append.h"
#include "eventlog/batch.h"
#include "eventlog/file_system.h"
#include "eventlog/reader.h"
#include "eventlog/status.h"

namespace eventlog {

// The on-disk format version this library writes and reads (format-spec §9).
inline constexpr uint32_t kLogFormatVersion = 1;

// Limits fixed when a log is created (stored in LOG/META, format-spec §3).
struct LogLimits {
  static constexpr uint64_t kDefaultSegmentBytes = 64ull << 20;
  static constexpr uint64_t kMinSegmentBytes = 4096;
  static constexpr uint64_t kMaxSegmentBytes = 1ull << 31;
  static constexpr uint64_t kDefaultMaxEventBytes = 1ull << 20;

  // The largest event an otherwise empty segment of `segment_bytes` holds: the most
  // max_event_bytes may be for that segment size.
  static uint64_t MaxEventBytesFor(uint64_t segment_bytes);

  uint64_t segment_bytes = kDefaultSegmentBytes;
  // 0 means "the default": 1 MiB, or less when a segment is too small to hold such an event.
  uint64_t max_event_bytes = 0;
};

struct LogOptions {
  bool create_if_missing = false;
  LogLimits limits;                 // used only when the log is created
  // Used only when the log is created: the offset of its first event. The first segment is
  // named by it and the log's next offset starts there, so that a log rebuilt from an export
  // of offsets 1000.. keeps them (format-spec §2). At most 2^64 - 2.
  uint64_t first_offset = 0;
  FileSystem* fs = nullptr;         // nullptr: PosixFileSystem()
  // How long an append, recovery or compaction waits for LOG/LOCK when another process holds
  // it: nullopt waits as long as it takes (a stopped holder makes that forever); otherwise
  // kBusy, naming the holder, once the time is up.
  std::optional<std::chrono::milliseconds> lock_timeout;
  // Called once when a wait for LOG/LOCK has lasted about a second, with a sentence that
  // names the lock and, where the system tells, the process holding it. May be empty.
  std::function<void(const std::string& message)> on_lock_wait;
};

struct AppendOptions {
  // false: publish without fdatasync (sync=none); readers may then see events that a power
  // loss takes back. Acknowledged-means-durable holds only with true.
  bool sync = true;
  // Optimistic concurrency: append only if the log's next offset equals this value at the
  // moment of appending; otherwise nothing is appended and the status is kConflict.
  std::optional<uint64_t> expect_next;
};

struct AppendResult {
  uint64_t first_offset = 0;
  uint64_t count = 0;
};

struct LogInfo {
  uint64_t first_offset = 0;  // offset of the oldest event still stored
  uint64_t next_offset = 0;   // offset the next appended event will get
  int64_t last_timestamp_ns = 0;  // timestamp of the newest event (0 for an empty log)
  uint64_t segment_count = 0;
  uint64_t segment_bytes = 0;    // configured roll size
  uint64_t max_event_bytes = 0;  // configured maximum event size
};

// Figures that cost a look at every file (Log::Stats); Info() stays cheap.
struct LogStats {
  LogInfo info;
  uint64_t event_count = 0;    // events stored, counted in the frames (compaction leaves gaps)
  uint64_t bytes_on_disk = 0;  // segments, indexes, META and HEAD
  int64_t first_timestamp_ns = 0;  // of the oldest stored event (0 for an empty log)
};

class Log {
 public:
  // Opens (or, with create_if_missing, creates) the log at `dir`. Opening validates the
  // log's metadata and its committed end; if a previous process died, the torn tail is cut
  // back (see recovery_notes()). Corruption of committed data fails with kCorruption.
  // A log is created only in a missing or empty directory (or one holding what an
  // interrupted creation left): any other directory without META is kInvalidArgument naming
  // what it holds, and nothing is written into it; one holding segments or HEAD but no META
  // is a log whose META was lost, kCorruption.
  static Result<std::unique_ptr<Log>> Open(const std::string& dir, const LogOptions& options);
  // Whether Open with create_if_missing may create a log at `dir`, a directory without META:
  // OK if it is missing or empty, else the error Open would return. Writes nothing. For tools
  // that build a log elsewhere and rename it to `dir`.
  static Status CheckCreatable(const std::string& dir, FileSystem* fs = nullptr);
  ~Log();
  Log(const Log&) = delete;
  Log& operator=(const Log&) = delete;

  // An empty batch sized to this log's limits.
  Batch NewBatch() const;

  // Appends `batch` atomically: after an OK return every event is durable (with
  // options.sync) and visible to readers; after an error none is visible. Thread-safe;
  // concurrent calls are group-committed under one lock and one fdatasync. The batch is
  // left unchanged and may be cleared and reused by the caller.
  // Errors: kInvalidArgument (batch larger than a segment), kConflict (expect_next),
  // kIOError (nothing was acknowledged), kFailed (an earlier fsync failed; reopen the log;
  // or the outcome is unknown), kBusy (not committed: the process that took the batch over
  // to commit it with its own died first; appending again is safe).
  Result<AppendResult> Append(const Batch& batch, const AppendOptions& options = {});

  // Starts an atomic batch that is written to the log while it is built (atomic_append.h),
  // holding the append lock until it is committed or destroyed. options.expect_next is
  // checked now (kConflict). A batch whose first frame fills before it ends gets a whole
  // segment's room (the active segment is closed first unless it holds no frame); one that
  // ends first is placed where it fits, as Append places a batch whose size it knows.
  // Other appenders, in this process too, wait for it: the thread that holds an
  // unfinished AtomicAppend must not append (or begin another) itself, which would wait for
  // ever. The AtomicAppend must not outlive this Log.
  Result<std::unique_ptr<AtomicAppend>> BeginAtomicAppend(const AppendOptions& options = {});

  // Takes the append lock and runs crash recovery now (format-spec §8) rather than at the
  // first append: a torn tail is cut and reported in recovery_notes(); damage to committed
  // data is kCorruption. Appending runs the same recovery implicitly.
  Status Recover();

  // A reader positioned at the oldest stored event.
  Result<std::unique_ptr<Reader>> NewReader() const;

  // Offsets that cut [from, to) into spans of about `span_bytes` of segment data, for
  // reading a long range with several readers at once: reader k seeks to cut k-1 (the
  // first to `from`) and stops at the first event Next() returns at or past cut k. Each
  // cut is where a frame starts, and a reader seeking there checks that frame against the
  // one before (Reader::SeekToOffset), so together the readers verify what one would.
  // Strictly ascending, each in (from, to), whatever a damaged index holds; empty for a
  // range shorter than about span_bytes. The cuts come from the sparse index (format-spec
  // §7): a range the index does not cover is not cut.
  Result<std::vector<uint64_t>> ReadSplits(uint64_t from, uint64_t to, uint64_t span_bytes) const;

  // Current offsets and configuration, read from the committed end.
  Result<LogInfo> Info() const;
  Result<LogStats> Stats() const;

  // Human-readable notes about repairs done while opening or appending (torn tails cut).
  std::vector<std::string> recovery_notes() const;

  const std::string& dir() const;
  // The log's identity: its 16 random META bytes as 32 lower-case hex digits.
  std::string log_id() const;

  class Impl;
  Impl* impl() const { return impl_.get(); }  // for the library's own modules

 private:
  explicit Log(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace eventlog
