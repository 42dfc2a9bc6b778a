#include "log_writer.h"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "batch_impl.h"
#include "coding.h"
#include "format.h"
#include "frame.h"
#include "head.h"
#include "log_impl.h"
#include "reader_impl.h"
#include "segment.h"

namespace eventlog {

namespace f = format::frame;

namespace {

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

constexpr uint64_t kMaxNextOffset = UINT64_MAX;

// Frames are written in chunks of this size, so that a huge batch needs bounded memory and,
// in a commit that will sync, the device writes one chunk back while the next is prepared.
constexpr size_t kWriteChunkBytes = 1 << 20;

// What HEAD says for a position. A log without frames publishes last_timestamp 0
// (format-spec §6.1), not kNoTimestamp.
HeadRecord AsHead(uint64_t sequence, uint64_t segment_base, const ScanPosition& at) {
  return HeadRecord{sequence,      segment_base, at.position, at.next_offset,
                    at.last_checksum == 0 ? 0 : at.last_timestamp, at.last_checksum};
}

ScanPosition FromHead(const HeadRecord& head) {
  return {head.committed_end, head.next_offset, head.last_timestamp, head.last_checksum, true};
}

// A batch with preset offsets and timestamps (Batch::AddAt) must continue the log exactly:
// format-spec §5.6 check 13 requires its first frame to start at the next offset, and
// check 14 forbids its timestamps to go below the previous frame's. A log without any
// frame (last_checksum 0, §6.1) places no constraint on the timestamp. A batch that allows
// a leading gap may start above the next offset of a log with a frame: it then starts a new
// segment (§4.3), so that its gap follows the last frame of a closed segment.
Status CheckPresetBatch(const Batch& batch, const ScanPosition& tail) {
  const Batch::Impl& b = batch.impl();
  const bool gap_allowed = batch.allows_leading_gap() && tail.last_checksum != 0;
  if (b.first_offset() != tail.next_offset && !(gap_allowed && b.first_offset() > tail.next_offset)) {
    return Status::InvalidArgument(fmt::format(
        "batch with preset offsets starts at offset {}, but the log's next offset is {}", b.first_offset(),
        tail.next_offset));
  }
  if (tail.last_checksum != 0 && b.first_timestamp() < tail.last_timestamp) {
    return Status::InvalidArgument(fmt::format(
        "batch with preset timestamps starts at {} ns, before the log's last timestamp {} ns", b.first_timestamp(),
        tail.last_timestamp));
  }
  return Status::Ok();
}

Status ExpectNextConflict(uint64_t expected, uint64_t next_offset) {
  return Status::Conflict(
      fmt::format("expected next offset {}, but the log's next offset is {}", expected, next_offset));
}

// The largest offset is 2^64 - 2, so that the next offset after it is representable
// (format-spec §10.1). A full log refuses; it never wraps to 0.
Status FitsInLog(uint64_t next_offset, uint64_t count) {
  if (count <= kMaxNextOffset - next_offset) return Status::Ok();
  return Status::InvalidArgument(fmt::format(
      "the log is full: its next offset is {} and the last offset a log can hold is {}, so {} more events do not "
      "fit; start a new log",
      next_offset, kMaxNextOffset - 1, count));
}

}  // namespace

LogWriter::LogWriter(Log::Impl* log) : log_(log) {}
LogWriter::~LogWriter() = default;

Status LogWriter::Recover() {
  // A writer in the failed state must not run recovery in this process: its view of what is
  // durable is wrong after a failed fdatasync (format-spec §8.5). Reopening the log does it.
  if (!failed_.empty()) return Status::Failed(failed_);
  EVLOG_ASSIGN_OR_RETURN(auto lock, log_->AcquireLock());
  EVLOG_RETURN_IF_ERROR(OpenHeadFile());
  return LockedRecover();
}

Result<std::unique_ptr<FileLock>> LogWriter::LockAndAdopt() {
  if (!failed_.empty()) return Status::Failed(failed_);
  EVLOG_ASSIGN_OR_RETURN(std::unique_ptr<FileLock> lock, log_->AcquireLock());
  EVLOG_RETURN_IF_ERROR(Adopt());
  return lock;
}

Status LogWriter::Adopt() {
  EVLOG_RETURN_IF_ERROR(OpenHeadFile());
  EVLOG_RETURN_IF_ERROR(recovered_ ? LockedRefresh() : LockedRecover());
  return ResolveOrphans();
}

Status LogWriter::RunLocked(const std::function<Status(const HeadRecord&)>& fn) {
  EVLOG_ASSIGN_OR_RETURN(std::unique_ptr<FileLock> lock, LockAndAdopt());
  return fn(AsHead(head_sequence_, segment_base_, published_));
}

void LogWriter::Commit(std::span<const Request> requests, bool sync, std::vector<Result<AppendResult>>* results) {
  std::unique_ptr<FileLock> held;
  if (sync && HandOver(requests, results, &held)) return;
  Result<std::unique_ptr<FileLock>> lock = std::move(held);
  if (!*lock) lock = LockAndAdopt();
  else if (Status adopted = Adopt(); !adopted.ok()) lock = adopted;
  if (!lock) {
    results->assign(requests.size(), lock.status());
    return;
  }
  // QUEUE, if it exists, was opened by Adopt. A holder does not create it: the first process
  // to find the lock held does (HandOver), so a log only one process appends to never has one.
  Status s;
  const int64_t timestamp = std::max(NowNs(), tail_.last_timestamp);
  commit_syncs_ = sync;
  buffer_.clear();
  buffer_position_ = tail_.position;

  // Results are kept for this process's requests and for the batches other processes
  // handed over; a batch is acknowledged once a publish covers it (here, or in a roll).
  struct Target {
    std::vector<Result<AppendResult>>* results;
    size_t index;
  };
  std::vector<CommitQueue::QueuedRequest> handed;
  std::vector<std::vector<Result<AppendResult>>> handed_results;
  std::vector<std::vector<bool>> handed_decided;
  std::vector<bool> decided(requests.size(), false);  // a result other than "not committed"
  std::vector<std::pair<Target, AppendResult>> pending;  // buffered, not yet published
  acknowledge_ = [&] {
    for (auto& [target, r] : pending) (*target.results)[target.index] = r;
    pending.clear();
  };
  results->assign(requests.size(), Status::Failed("not committed"));
  for (size_t i = 0; i < requests.size() && s.ok(); ++i) {
    const Request& req = requests[i];
    if (req.expect_next && *req.expect_next != tail_.next_offset) {
      (*results)[i] = ExpectNextConflict(*req.expect_next, tail_.next_offset);
      decided[i] = true;
      continue;
    }
    AppendResult r;
    s = LockedAppend(*req.batch, timestamp, &r);
    if (s.code() == StatusCode::kInvalidArgument) {
      (*results)[i] = s;
      decided[i] = true;
      s = Status::Ok();
      continue;
    }
    if (s.ok()) pending.push_back({{results, i}, r});
  }
  if (s.ok() && sync && queue_) {
    // Collecting never fails: a slot that cannot be checked is left to its owner.
    handed = queue_->Collect();
    handed_results.resize(handed.size());
    handed_decided.resize(handed.size());
    for (size_t h = 0; h < handed.size(); ++h) {
      CommitQueue::QueuedRequest& req = handed[h];
      handed_results[h].assign(req.batches.size(), Status::Failed("not committed"));
      handed_decided[h].assign(req.batches.size(), false);
      if (!req.malformed.ok()) {
        handed_results[h].assign(std::max<size_t>(req.batch_count, 1), req.malformed);
        handed_decided[h].assign(handed_results[h].size(), true);
        continue;
      }
      for (size_t k = 0; k < req.batches.size() && s.ok(); ++k) {
        AppendResult r;
        CommitQueue::Placement placement;
        s = AppendQueued(req.batches[k], timestamp, &r, &placement);
        if (s.code() == StatusCode::kInvalidArgument) {
          handed_results[h][k] = s;
          handed_decided[h][k] = true;
          s = Status::Ok();
          continue;
        }
        if (!s.ok()) break;
        queue_->Place(req.slot, k, placement);
        pending.push_back({{&handed_results[h], k}, r});
        if (buffer_.size() >= kWriteChunkBytes) s = WriteBuffered(/*start_writeback=*/true);
      }
    }
  }
  if (s.ok()) s = WriteBuffered();
  if (s.ok() && !pending.empty()) s = SyncAndPublish(sync);
  if (s.ok()) {
    acknowledge_();
    (void)AppendIndexEntries(log_->fs(), log_->dir(), segment_base_, log_->meta().log_id, pending_index_);
  } else {
    // Every request not yet acknowledged, rejected or published by a roll carries the cause,
    // which is what the caller needs to act on (a full disk, an I/O error).
    s = AbandonCommit(s, /*may_surface=*/true);
    for (size_t i = 0; i < requests.size(); ++i) {
      if (decided[i] || (*results)[i].has_value()) continue;
      (*results)[i] = s;
    }
    for (size_t h = 0; h < handed.size(); ++h) {
      for (size_t k = 0; k < handed_results[h].size(); ++k) {
        if (handed_decided[h][k] || handed_results[h][k].has_value()) continue;
        handed_results[h][k] = s;
      }
    }
  }
  // Only now, with the lock still held, may the other processes learn their outcome.
  for (size_t h = 0; h < handed.size(); ++h) {
    for (size_t k = 0; k < handed_results[h].size(); ++k) queue_->Post(handed[h].slot, k, handed_results[h][k]);
    queue_->Finish(handed[h].slot);
  }
  pending_index_.clear();
  acknowledge_ = nullptr;
  lock->reset();
  if (queue_) queue_->AnnounceRelease();
}

// The holder's side of a hand-over (the rest is in log_writer_queue.cc): a batch taken from
// QUEUE, appended like any other, and where its last frame went, for its owner to check.
Status LogWriter::AppendQueued(const CommitQueue::QueuedBatch& batch, int64_t timestamp, AppendResult* result,
                               CommitQueue::Placement* placement) {
  result->first_offset = tail_.next_offset;
  result->count = batch.event_count;
  EVLOG_RETURN_IF_ERROR(FitsInLog(tail_.next_offset, batch.event_count));
  timestamp = std::max(timestamp, tail_.last_timestamp);
  if (batch.encoded_bytes > log_->max_batch_bytes()) {
    return Status::InvalidArgument(fmt::format("batch of {} bytes exceeds {} bytes, the most one segment can hold",
                                               batch.encoded_bytes, log_->max_batch_bytes()));
  }
  if (tail_.position + batch.encoded_bytes > log_->meta().segment_bytes) {
    EVLOG_RETURN_IF_ERROR(Roll(tail_.next_offset));
    result->first_offset = tail_.next_offset;
  }
  // No frame of the batch may reach the file before its placement is recorded, or a
  // holder dying in between would leave its owner unable to tell whether it is in.
  defer_chunk_writes_ = true;
  Status s;
  for (size_t k = 0; k < batch.frames.size() && s.ok(); ++k) {
    s = AppendFrame(BatchFrameKind(k == 0, k + 1 == batch.frames.size()), batch.frames[k], /*preset=*/false,
                    timestamp);
  }
  defer_chunk_writes_ = false;
  EVLOG_RETURN_IF_ERROR(s);
  *placement = {segment_base_, last_frame_position_, tail_.last_checksum, result->first_offset};
  return Status::Ok();
}

// A request reported as failed must not surface later: its frames are removed first, and
// if that fails the outcome is unknown (kFailed) rather than "not committed". kFailed: the
// frames may or may not survive (a failed fdatasync's cut-back is best effort, a failed
// HEAD write may have landed); only a failure undone here is "not committed" (format-spec
// §6.2). An OK `s` (a stream its caller gave up) stays OK if the undo succeeds.
Status LogWriter::AbandonCommit(Status s, bool may_surface) {
  if (s.code() != StatusCode::kFailed) {
    Status undone = UndoUnpublished();
    if (!undone.ok()) s = undone;
  }
  buffer_.clear();
  pending_index_.clear();
  tail_ = published_;
  recovered_ = false;  // the next commit rescans the tail
  if (s.ok()) return s;
  if (s.code() != StatusCode::kFailed) return s.WithContext("not committed");
  if (may_surface) return s.WithContext("outcome unknown");
  // The writer is in the failed state, whose message may speak of an unknown outcome: it is
  // the log's, not this batch's.
  return s.WithContext("not committed (the batch was never complete), but the log must be reopened");
}

Status LogWriter::BeginStream(bool sync, std::optional<uint64_t> expect_next, uint64_t* first_offset) {
  EVLOG_ASSIGN_OR_RETURN(std::unique_ptr<FileLock> lock, LockAndAdopt());
  if (expect_next && *expect_next != tail_.next_offset) return ExpectNextConflict(*expect_next, tail_.next_offset);
  commit_syncs_ = sync;
  buffer_.clear();
  buffer_position_ = tail_.position;
  pending_index_.clear();
  stream_last_frame_ = false;
  stream_timestamp_ = std::max(NowNs(), tail_.last_timestamp);
  *first_offset = tail_.next_offset;
  stream_lock_ = std::move(lock);
  return Status::Ok();
}

Status LogWriter::MakeStreamRoom(std::optional<uint64_t> batch_bytes) {
  // A batch of unknown size gets a whole segment, as LockedAppend gives a batch that does
  // not fit the active one; a segment without frames is as good as new.
  const bool fits = batch_bytes ? tail_.position + *batch_bytes <= log_->meta().segment_bytes
                                : tail_.position == format::segment::kHeaderSize;
  if (fits) return Status::Ok();
  return Roll(tail_.next_offset);
}

Status LogWriter::WriteStreamFrame(uint8_t kind, const Batch::Impl::FrameView& frame) {
  if (!failed_.empty()) return Status::Failed(failed_);
  EVLOG_RETURN_IF_ERROR(FitsInLog(tail_.next_offset, frame.event_count));
  // The batch's own limit (a segment's room) keeps this from happening; never write past it.
  if (tail_.position + format::AlignUp(f::kHeaderSize + frame.body.size()) > log_->meta().segment_bytes) {
    return Status::InvalidArgument(
        fmt::format("batch exceeds {} bytes, the most one segment can hold", log_->max_batch_bytes()));
  }
  stream_last_frame_ = stream_last_frame_ || kind == f::kLast || kind == f::kFull;
  return AppendFrame(kind, frame, /*preset=*/false, stream_timestamp_);
}

Status LogWriter::CommitStream() {
  Status s;
  if (tail_.position != published_.position) {
    s = WriteBuffered();
    if (s.ok()) s = SyncAndPublish(commit_syncs_);
    if (s.ok()) (void)AppendIndexEntries(log_->fs(), log_->dir(), segment_base_, log_->meta().log_id, pending_index_);
  }
  if (!s.ok()) s = AbandonCommit(s, /*may_surface=*/true);
  pending_index_.clear();
  stream_lock_.reset();
  return s;
}

Status LogWriter::AbandonStream(const Status& cause) {
  // Until its last frame was encoded (only then can it reach the file), the batch is
  // incomplete, which no reader shows and recovery cuts: not committed, even if the writer
  // is now in the failed state.
  Status s = AbandonCommit(cause, /*may_surface=*/stream_last_frame_);
  stream_lock_.reset();
  return s;
}

// After a failed write, removes this commit's unpublished frames so that nobody's recovery
// keeps events whose append was reported as failed (format-spec §6.2): truncate back to the
// committed end and make the truncation durable, or enter the failed state.
Status LogWriter::UndoUnpublished() {
  if (!segment_) return Status::Ok();
  const uint64_t keep = segment_base_ == published_base_ ? published_.position : format::segment::kHeaderSize;
  Status s = segment_->Truncate(keep);
  if (s.ok()) s = segment_->Sync();
  if (s.ok()) return s;
  failed_ = fmt::format("removing the frames of a failed append failed ({}); that append may or may not be in the "
                        "log, and no append is accepted until the log is reopened",
                        s.message());
  return Status::Failed(failed_);
}

Status LogWriter::LockedAppend(const Batch& batch, int64_t timestamp, AppendResult* result) {
  const Batch::Impl& b = batch.impl();
  result->first_offset = tail_.next_offset;
  result->count = b.event_count();
  if (b.event_count() == 0) return Status::Ok();
  EVLOG_RETURN_IF_ERROR(FitsInLog(tail_.next_offset, b.event_count()));
  if (b.preset()) EVLOG_RETURN_IF_ERROR(CheckPresetBatch(batch, tail_));
  // Earlier batches of this commit may have carried preset timestamps after the clock's.
  timestamp = std::max(timestamp, tail_.last_timestamp);
  const uint64_t need = b.encoded_bytes();
  if (need > log_->max_batch_bytes()) {
    return Status::InvalidArgument(fmt::format("batch of {} bytes exceeds {} bytes, the most one segment can hold",
                                               need, log_->max_batch_bytes()));
  }
  const bool gap = b.preset() && b.first_offset() != tail_.next_offset;
  if (gap || tail_.position + need > log_->meta().segment_bytes) {
    EVLOG_RETURN_IF_ERROR(Roll(b.preset() ? b.first_offset() : tail_.next_offset));
    result->first_offset = tail_.next_offset;
  }
  const size_t frames = b.frame_count();
  size_t index = 0;
  return b.ForEachFrame([&](const Batch::Impl::FrameView& frame) -> Status {
    const uint8_t kind = BatchFrameKind(/*first=*/index == 0, /*last=*/index + 1 == frames);
    ++index;
    return AppendFrame(kind, frame, b.preset(), timestamp);
  });
}

Status LogWriter::AppendFrame(uint8_t kind, const Batch::Impl::FrameView& frame, bool preset, int64_t timestamp) {
  const std::string_view body = frame.body;
  FrameHeader h;
  h.kind = kind;
  h.base_offset = tail_.next_offset;  // for a preset batch, equal to frame.base_offset
  h.event_count = frame.event_count;
  h.last_offset_delta = preset ? frame.last_offset_delta : frame.event_count - 1;
  h.first_timestamp = preset ? frame.first_timestamp : timestamp;
  h.last_timestamp = preset ? frame.last_timestamp : timestamp;
  h.prev_checksum = tail_.last_checksum;
  const size_t at = buffer_.size();
  buffer_.resize(at + f::kHeaderSize);
  buffer_.append(body);
  buffer_.resize(at + format::AlignUp(f::kHeaderSize + body.size()), '\0');
  EncodeFrameHeader(&h, std::string_view(buffer_.data() + at + f::kHeaderSize, body.size()), buffer_.data() + at);
  const uint64_t position = buffer_position_ + at;
  // An index entry's relative offset is a u32 (format-spec §7.2); gaps may exceed it.
  if (FrameNeedsIndexEntry(position, h.aligned_length()) && h.base_offset - segment_base_ <= UINT32_MAX) {
    pending_index_.push_back({h.base_offset, position, h.first_timestamp});
  }
  last_frame_position_ = position;
  tail_.position = position + h.aligned_length();
  tail_.next_offset = h.next_offset();
  tail_.last_checksum = h.checksum;
  tail_.last_timestamp = h.last_timestamp;
  // A full chunk: more of this commit follows, so a commit that syncs starts this chunk's
  // write-back now. The last, partial chunk goes to fdatasync directly.
  const bool full = buffer_.size() >= kWriteChunkBytes && !defer_chunk_writes_;
  return full ? WriteBuffered(/*start_writeback=*/commit_syncs_) : Status::Ok();
}

Status LogWriter::WriteBuffered(bool start_writeback) {
  if (buffer_.empty()) return Status::Ok();
  EVLOG_RETURN_IF_ERROR(segment_->Write(buffer_position_, buffer_));
  if (start_writeback) {
    // A write-back that fails as it starts may have dropped the pages, and the commit's
    // fdatasync would then find nothing left to write: it is a failed sync.
    Status started = segment_->StartWriteback(buffer_position_, buffer_.size());
    if (!started.ok()) return SyncFailed(started, /*cut_back_to=*/published_.position);
  }
  buffer_position_ += buffer_.size();
  buffer_.clear();
  return Status::Ok();
}

Status LogWriter::SyncAndPublish(bool sync) {
  if (sync) EVLOG_RETURN_IF_ERROR(SyncSegment(/*cut_back_to=*/published_.position));
  unsynced_ = unsynced_ || !sync;
  return Publish();
}

Status LogWriter::SyncSegment(std::optional<uint64_t> cut_back_to) {
  Status s = segment_->Sync();
  if (!s.ok()) return SyncFailed(s, cut_back_to);
  unsynced_ = false;
  return Status::Ok();
}

Status LogWriter::SyncFailed(const Status& s, std::optional<uint64_t> cut_back_to) {
  // fsyncgate: after a failed fdatasync the kernel may have dropped the dirty pages and a
  // retry can succeed without the data. Only recovery in a new process may decide.
  failed_ = fmt::format("fdatasync of segment {} failed ({}); no append is accepted until the log is reopened",
                        SegmentFileName(segment_base_), s.message());
  // Best effort: remove the frames of this commit whose write-back failed, so that another
  // process's recovery (whose fdatasync would not see this error) cannot keep them. Never
  // below the commit's start: what lies there may have been acknowledged, by HEAD or by
  // an earlier sync, and recovery passes no target at all for the same reason.
  if (cut_back_to && segment_base_ == published_base_ && *cut_back_to >= published_.position) {
    (void)segment_->Truncate(*cut_back_to);
  }
  return Status::Failed(failed_);
}

// Closes the active segment and starts the next one at `base`: the next offset, or above it
// for a preset batch after a gap (CheckPresetBatch). The old segment is made durable and
// published first: a closed segment must read to its end.
Status LogWriter::Roll(uint64_t base) {
  EVLOG_RETURN_IF_ERROR(WriteBuffered());
  // Always sync, whatever this process did: another process may have published frames to
  // this segment without fdatasync (sync=none), and a closed segment must be durable.
  EVLOG_RETURN_IF_ERROR(SyncSegment(/*cut_back_to=*/published_.position));
  if (tail_.position != published_.position) {
    EVLOG_RETURN_IF_ERROR(Publish());
    if (acknowledge_) acknowledge_();
  }
  const SegmentHeader header{log_->meta().log_id, base, NowNs()};
  EVLOG_RETURN_IF_ERROR(CreateFileDurably(log_->fs(), log_->dir(), SegmentFileName(base), EncodeSegmentHeader(header)));
  EVLOG_RETURN_IF_ERROR(OpenActive(base));
  tail_.position = format::segment::kHeaderSize;
  tail_.next_offset = base;
  buffer_position_ = tail_.position;
  pending_index_.clear();
  return Publish();
}

Status LogWriter::OpenActive(uint64_t base) {
  EVLOG_ASSIGN_OR_RETURN(segment_, OpenSegment(log_->fs(), log_->dir(), base, log_->meta().log_id, OpenMode::kReadWrite));
  segment_base_ = base;
  return Status::Ok();
}

Status LogWriter::Publish() {
  const HeadRecord head = AsHead(head_sequence_ + 1, segment_base_, tail_);
  Status written = WriteHead(*head_file_, head, log_->meta());
  if (!written.ok()) {
    // HEAD's rewrite failed in an unknown state: it may name the frames below it or not, so
    // neither keeping nor cutting them is safe here. Only recovery in a new process decides.
    failed_ = fmt::format("publishing HEAD failed ({}); whether the last append was committed is unknown: reopen "
                          "the log and check its end",
                          written.message());
    return Status::Failed(failed_);
  }
  head_sequence_ = head.sequence;
  published_ = tail_;
  published_base_ = segment_base_;
  return Status::Ok();
}

Status LogWriter::OpenHeadFile() {
  if (head_file_) return Status::Ok();
  const std::string path = log_->Path(format::kHeadFileName);
  auto file = log_->fs()->Open(path, OpenMode::kReadWrite);
  if (!file && file.error().code() == StatusCode::kNotFound) {
    // Lost in a crash during creation: HEAD is a hint, recovery rewrites it below.
    EVLOG_RETURN_IF_ERROR(CreateFileDurably(log_->fs(), log_->dir(), std::string(format::kHeadFileName),
                                            std::string(format::kBlockSize, '\0')));
    file = log_->fs()->Open(path, OpenMode::kReadWrite);
  }
  if (!file) return file.error();
  head_file_ = std::move(file).value();
  return Status::Ok();
}

// Adopts what other processes committed since this one last held the lock.
Status LogWriter::LockedRefresh() {
  EVLOG_ASSIGN_OR_RETURN(std::optional<HeadRecord> head, ReadHead(*head_file_, log_->meta()));
  if (!head) return LockedRecover();
  if (head->sequence != head_sequence_ || head->segment_base != segment_base_) {
    if (head->segment_base != segment_base_ || !segment_) EVLOG_RETURN_IF_ERROR(OpenActive(head->segment_base));
    tail_ = published_ = FromHead(*head);
    published_base_ = segment_base_;
    head_sequence_ = head->sequence;
  }
  // A segment named by the next offset exists only if a process died between creating it
  // and publishing HEAD during a roll; a tail longer than the committed end only if one
  // died mid-append. Both are recovery's business.
  EVLOG_ASSIGN_OR_RETURN(bool interrupted_roll, log_->fs()->Exists(log_->Path(SegmentFileName(tail_.next_offset))));
  EVLOG_ASSIGN_OR_RETURN(uint64_t size, segment_->Size());
  if ((interrupted_roll && tail_.next_offset != segment_base_) || size != tail_.position) return LockedRecover();
  return Status::Ok();
}

}  // namespace eventlog
