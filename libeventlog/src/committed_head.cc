// The committed end as readers see it (format-spec §6.4).
//
// HEAD is exact in the common case and costs one pread and one fstat. It can lag: it is never
// synced, so a power loss may leave an old copy, and a writer killed between fdatasync and
// publishing leaves complete batches above it. A reader that stopped at such a HEAD would hide
// acknowledged events until some writer ran (an archive taken then would be silently short).
// So when the files show more than HEAD admits, the reader takes LOCK shared, which succeeds
// only while no writer is between writing frames and publishing them, reads the end from the
// frames exactly as recovery would, and makes it durable (fdatasync works on a read-only
// descriptor) before showing it: a reader must never show an event that a power loss could
// still take back. Nothing is written; recovery's cut of a torn tail is left to the next writer.
#include <algorithm>
#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "format.h"
#include "head.h"
#include "log_impl.h"
#include "segment.h"
#include "tail_scan.h"

namespace eventlog {

namespace {

// How long a reader waits for a writer to publish a valid HEAD before reporting kBusy.
constexpr auto kInvalidHeadPatience = std::chrono::seconds(2);

HeadRecord FromScan(uint64_t sequence, const TailScan& t) {
  const ScanPosition& end = t.scan.end;
  return HeadRecord{sequence, t.active_base, end.position, end.next_offset,
                    end.last_timestamp == kNoTimestamp ? 0 : end.last_timestamp, end.last_checksum};
}

bool SameHead(const std::optional<HeadRecord>& a, const std::optional<HeadRecord>& b) {
  if (a.has_value() != b.has_value()) return false;
  return !a || (a->sequence == b->sequence && a->segment_base == b->segment_base &&
                a->committed_end == b->committed_end && a->next_offset == b->next_offset);
}

}  // namespace

Result<std::optional<HeadRecord>> Log::Impl::ReadCurrentHead() {
  if (!head_file_) {
    auto file = fs_->Open(Path(format::kHeadFileName), OpenMode::kReadOnly);
    if (!file) {
      if (file.error().code() == StatusCode::kNotFound) return std::optional<HeadRecord>();
      return file.error();
    }
    head_file_ = std::move(file).value();
  }
  return ReadHead(*head_file_, meta_);
}

// HEAD is exact when its segment is the newest and exactly committed_end long. A newer
// segment is a roll HEAD does not know about: usually named by HEAD's next offset, but a
// preset batch after a gap (import) and a repair's replacement start higher. Anything else
// means a writer is at work right now, or died, or a power loss took HEAD's latest rewrites.
Result<bool> Log::Impl::HeadIsExact(const HeadRecord& head) {
  if (!probe_ || probe_base_ != head.segment_base) {
    probe_.reset();
    auto file = fs_->Open(Path(SegmentFileName(head.segment_base)), OpenMode::kReadOnly);
    if (!file) return file.error().code() == StatusCode::kNotFound ? Result<bool>(false) : file.error();
    probe_ = std::move(file).value();
    probe_base_ = head.segment_base;
  }
  EVLOG_ASSIGN_OR_RETURN(uint64_t size, probe_->Size());
  if (size != head.committed_end) return false;
  EVLOG_ASSIGN_OR_RETURN(std::vector<uint64_t> segments, ListSegments(fs_, dir_));
  return !segments.empty() && segments.back() == head.segment_base;
}

Result<std::optional<HeadRecord>> Log::Impl::PublishedHead() {
  std::lock_guard<std::mutex> guard(head_mu_);
  return ReadCurrentHead();
}

Result<HeadRecord> Log::Impl::CommittedHead() {
  std::lock_guard<std::mutex> guard(head_mu_);
  const auto deadline = std::chrono::steady_clock::now() + kInvalidHeadPatience;
  while (true) {
    EVLOG_ASSIGN_OR_RETURN(std::optional<HeadRecord> head, ReadCurrentHead());
    if (head) {
      EVLOG_ASSIGN_OR_RETURN(bool exact, HeadIsExact(*head));
      if (exact) return *head;
    }
    if (lock_owner_ == std::this_thread::get_id()) return CommittedEndFromFrames();  // we are the writer
    auto lock = fs_->TryLockShared(Path(format::kLockFileName));
    // No LOCK file: no writer has ever locked this copy of the log (for example one restored
    // to read-only media), so nobody can be mid-append.
    const bool no_writer = lock ? *lock != nullptr : lock.error().code() == StatusCode::kNotFound;
    if (!lock && !no_writer) return lock.error();
    if (no_writer) return CommittedEndFromFrames();
    // A writer is between writing and publishing: what lies beyond HEAD is not committed yet.
    if (head) return *head;
    if (std::chrono::steady_clock::now() >= deadline) {
      return Status::Busy(fmt::format(
          "{}: HEAD does not verify and the process holding {} has not published a valid one for {} s; if that "
          "process is stuck, stop it and run `evlog verify --repair`",
          Path(format::kHeadFileName), Path(format::kLockFileName), kInvalidHeadPatience.count()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// Runs with LOCK held shared: no writer can change the tail meanwhile.
Result<HeadRecord> Log::Impl::CommittedEndFromFrames() {
  EVLOG_ASSIGN_OR_RETURN(std::optional<HeadRecord> head, ReadCurrentHead());
  // The newest segment only ever changes size (writers append to it, recovery cuts it), so
  // its base and size with HEAD identify what the last scan saw.
  EVLOG_ASSIGN_OR_RETURN(std::vector<uint64_t> listed, ListSegments(fs_, dir_));
  std::optional<FramesEnd> key;
  if (!listed.empty()) {
    auto newest = fs_->Open(Path(SegmentFileName(listed.back())), OpenMode::kReadOnly);
    auto size = newest ? (*newest)->Size() : Result<uint64_t>(newest.error());
    if (size) key = FramesEnd{head, listed.back(), *size, {}};
  }
  if (key && frames_end_ && SameHead(frames_end_->head, key->head) && frames_end_->newest_base == key->newest_base &&
      frames_end_->newest_size == key->newest_size) {
    return frames_end_->end;
  }
  auto scanned = ScanTail(fs_, dir_, meta_, head);
  // Damage beyond HEAD is for `verify` to report and for an operator to decide on; a reader
  // still shows what HEAD vouches for. Only a HEAD whose segment exists vouches for anything
  // (format-spec §6.1): one naming a missing segment would hide every newer one.
  if (!scanned && head && std::binary_search(listed.begin(), listed.end(), head->segment_base)) return *head;
  EVLOG_ASSIGN_OR_RETURN(TailScan t, std::move(scanned));
  // META without a segment: creation was interrupted before the first segment; the log is
  // empty until a writer completes it (format-spec §2).
  if (t.segments.empty()) return HeadRecord{0, 0, format::segment::kHeaderSize, 0, 0, 0};
  const bool beyond_head = t.scan.end.position != t.start.position || !t.head_names_active;
  if (beyond_head) {
    // Frames no writer synced (it died first) and a directory entry no writer synced (a
    // roller died) are made durable before anyone is shown them. If that fails, HEAD, which
    // is never ahead of durable data, is all that can be shown.
    EVLOG_ASSIGN_OR_RETURN(auto segment, fs_->Open(Path(SegmentFileName(t.active_base)), OpenMode::kReadOnly));
    Status synced = segment->Sync();
    if (synced.ok() && !t.head_names_active) synced = fs_->SyncDir(dir_);
    if (!synced.ok()) {
      if (head) return *head;
      return synced.WithContext("making the log's unpublished end durable before reading it");
    }
  }
  const HeadRecord end = FromScan(head ? head->sequence : 0, t);
  if (key) {
    key->end = end;
    frames_end_ = key;
  }
  return end;
}

}  // namespace eventlog
