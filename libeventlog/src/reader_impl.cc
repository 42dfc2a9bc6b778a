// The Reader: walks the frames of the segments, read through a SegmentWindow (pread into a
// buffer; segment_window.h says why not a mapping), verifying each frame's checksum before
// handing out its events, and never reading past the committed end that HEAD publishes
// (format-spec §6). Closed segments are read to their file size.
#include "reader_impl.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "coding.h"
#include "format.h"
#include "frame.h"
#include "log_impl.h"
#include "segment.h"
#include "segment_index.h"
#include "segment_scan.h"
#include "segment_window.h"

namespace eventlog {
namespace {

constexpr uint64_t kNoSegment = UINT64_MAX;
// A sequential reader releases the pages it has read once per this many bytes.
constexpr uint64_t kDropEveryBytes = 8 << 20;

class ReaderImpl final : public Reader {
 public:
  explicit ReaderImpl(Log::Impl* log) : log_(log) {}

  Status SeekToOffset(uint64_t offset) override;
  Status SeekToTime(int64_t timestamp_ns) override;
  Result<bool> Next(Event* event) override;
  uint64_t position() const override { return next_offset_; }
  bool at_unit_end() const override { return cursor_ >= frame_end_ && unit_next_ == unit_.size(); }
  uint64_t segment_base() const override { return segment_base_; }
  Status WaitForAppend(int timeout_ms) override;

 private:
  Status OpenSegmentAt(uint64_t base);
  Status OpenSegmentForTime(int64_t timestamp_ns);
  Status RefreshLimit();
  Result<bool> NextFrame();
  Result<bool> LoadUnit();
  Result<bool> AdvanceSegment();
  void StartSequence();
  Status SettleOnTimeFloor();
  Result<uint64_t> IndexedPosition(uint64_t offset, int64_t timestamp);
  Result<FrameParse> ReadFrame(uint64_t at, bool check_body, FrameHeader* h, std::string* why);
  Status CorruptFrame(uint64_t position, const std::string& why) const;

  Log::Impl* log_;
  uint64_t segment_base_ = kNoSegment;
  std::unique_ptr<File> segment_;
  SegmentWindow window_;  // the current segment's bytes
  uint64_t limit_ = 0;       // readable bytes of the current segment
  // HEAD's next offset when limit_ is HEAD's committed end (the active segment), else none:
  // no frame below that end may reach past it.
  uint64_t head_next_offset_ = UINT64_MAX;
  bool closed_ = false;      // a newer segment exists: read to the file's end
  uint64_t position_ = 0;    // next frame position
  uint64_t dropped_before_ = 0;
  uint64_t next_offset_ = 0; // next offset to return
  int64_t time_floor_ = INT64_MIN;  // SeekToTime: skip events older than this
  bool positioned_ = false;
  // What the frames read so far imply for the next one (format-spec §5.6 checks 11-14): the
  // same state and checks verify and recovery use. Partly unknown right after a seek.
  ScanPosition seq_;
  uint64_t chain_out_ = 0;  // the current segment's header field (format-spec §4.1)
  // The frames of the unit being returned, all checked, and the next one to return.
  std::vector<std::pair<FrameHeader, uint64_t>> unit_;
  size_t unit_next_ = 0;

  FrameHeader frame_;
  uint64_t frame_at_ = 0;  // frame_'s position in the segment
  const char* cursor_ = nullptr;  // next event record in the current frame
  const char* frame_end_ = nullptr;
  std::vector<HeaderView> headers_;

  uint64_t seen_sequence_ = 0;
  std::unique_ptr<FileWatch> watch_;
};

Status ReaderImpl::CorruptFrame(uint64_t position, const std::string& why) const {
  return Status::Corruption(fmt::format("segment {}: {} at byte {} (offset {} onwards)", SegmentFileName(segment_base_),
                                        why, position, next_offset_));
}

Status ReaderImpl::OpenSegmentAt(uint64_t base) {
  window_.Reset(nullptr, {});
  cursor_ = frame_end_ = nullptr;
  SegmentHeader header;
  EVLOG_ASSIGN_OR_RETURN(segment_, OpenListedSegment(log_->fs(), log_->dir(), base, log_->meta().log_id, &header));
  segment_base_ = base;
  window_.Reset(segment_.get(), SegmentFileName(base));
  chain_out_ = header.chain_out;
  position_ = format::segment::kHeaderSize;
  dropped_before_ = 0;
  return RefreshLimit();
}

// Learns how far the current segment may be read: HEAD's committed end for the active
// segment, the file size for a closed one.
Status ReaderImpl::RefreshLimit() {
  EVLOG_ASSIGN_OR_RETURN(HeadRecord head, log_->CommittedHead());
  seen_sequence_ = head.sequence;
  EVLOG_ASSIGN_OR_RETURN(uint64_t size, segment_->Size());
  head_next_offset_ = UINT64_MAX;
  if (segment_base_ < head.segment_base) {
    closed_ = true;
    limit_ = size;
  } else if (segment_base_ == head.segment_base) {
    closed_ = false;
    limit_ = head.committed_end;
    head_next_offset_ = head.next_offset;
    if (limit_ > size) {
      return Status::Corruption(fmt::format("segment {}: file is {} bytes but {} bytes were committed",
                                            SegmentFileName(segment_base_), size, limit_));
    }
  } else {
    closed_ = false;  // created by a roll that has not been published yet
    limit_ = format::segment::kHeaderSize;
  }
  return Status::Ok();
}

// ParseFrame on the frame at `at` (below limit_), reading as much of it as the length word
// asks and the readable part holds: a length running past limit_ is kTruncated without
// reading further, as ParseFrame says of the whole readable part.
Result<FrameParse> ReaderImpl::ReadFrame(uint64_t at, bool check_body, FrameHeader* h, std::string* why) {
  const uint64_t readable = limit_ - at;
  EVLOG_ASSIGN_OR_RETURN(std::string_view bytes,
                         window_.Bytes(at, std::min<uint64_t>(readable, format::frame::kHeaderSize), limit_));
  if (bytes.size() >= 4) {
    const uint64_t aligned = format::AlignUp(GetFixed32(bytes.data() + format::frame::kLengthAt));
    if (aligned > bytes.size() && aligned <= readable) {
      EVLOG_ASSIGN_OR_RETURN(bytes, window_.Bytes(at, aligned, limit_));
    }
  }
  return ParseFrame(bytes, 0, check_body, h, why);
}

// Index lookup: the position of the last indexed frame that starts at or before `offset`
// and no later than `timestamp`, validated against the segment; the segment start if none.
Result<uint64_t> ReaderImpl::IndexedPosition(uint64_t offset, int64_t timestamp) {
  uint64_t best = format::segment::kHeaderSize;
  std::vector<IndexEntry> entries = ReadIndex(log_->fs(), log_->dir(), segment_base_, log_->meta().log_id);
  auto it = std::upper_bound(entries.begin(), entries.end(), std::make_pair(offset, timestamp),
                             [](const std::pair<uint64_t, int64_t>& key, const IndexEntry& e) {
                               return key.first < e.offset || key.second <= e.timestamp;
                             });
  while (it != entries.begin()) {
    --it;
    FrameHeader h;
    std::string why;
    // Validated before it is trusted (format-spec §7.2): a damaged index must not make the
    // reader start at a frame-shaped run of bytes inside some payload.
    if (it->position % format::frame::kAlignment != 0 || it->position < format::segment::kHeaderSize ||
        it->position >= limit_) {
      continue;
    }
    EVLOG_ASSIGN_OR_RETURN(FrameParse parse, ReadFrame(it->position, true, &h, &why));
    if (parse == FrameParse::kOk && h.has_events() && h.base_offset == it->offset && h.first_timestamp == it->timestamp) {
      return it->position;
    }
  }
  return best;
}

Status ReaderImpl::SeekToOffset(uint64_t offset) {
  Status opened;
  uint64_t before = offset;
  do {  // compaction may remove a listed segment before it is opened: list again
    EVLOG_ASSIGN_OR_RETURN(std::vector<uint64_t> segments, ListSegments(log_->fs(), log_->dir()));
    if (segments.empty()) {
      // META without a segment: creation was interrupted, and the log is empty until a writer
      // completes it (format-spec §2). NextFrame() looks again.
      window_.Reset(nullptr, {});
      segment_.reset();
      segment_base_ = kNoSegment;
      next_offset_ = offset;
      positioned_ = true;
      unit_.clear();
      unit_next_ = 0;
      return Status::Ok();
    }
    offset = std::max(offset, segments.front());
    // Reading starts at the frame holding the event before `offset` (or earlier): a frame
    // read first is taken without a predecessor (format-spec §5.6), so when `offset` starts
    // a frame, starting one early checks the link into it, as a reader that came from the
    // log's start would. Readers splitting a range at frames (Log::ReadSplits) each check
    // their own first link this way, and a follower that goes on where they ended too.
    before = offset > segments.front() ? offset - 1 : offset;
    auto it = std::upper_bound(segments.begin(), segments.end(), before);
    opened = OpenSegmentAt(*std::prev(it));
  } while (opened.code() == StatusCode::kNotFound);
  EVLOG_RETURN_IF_ERROR(opened);
  EVLOG_ASSIGN_OR_RETURN(position_, IndexedPosition(before, INT64_MAX));
  next_offset_ = offset;
  time_floor_ = INT64_MIN;
  positioned_ = true;
  StartSequence();
  return Status::Ok();
}

// The sequence state after a seek to position_. At a segment's start the rules for a first
// frame apply (format-spec §5.6): not MIDDLE or LAST, check 13 against the base offset, and
// in 00000000000000000000.seg a prev_checksum of 0. Elsewhere (an index entry) the frames
// before are unread: the first frame is taken without a predecessor.
void ReaderImpl::StartSequence() {
  unit_.clear();
  unit_next_ = 0;
  if (position_ == format::segment::kHeaderSize) {
    seq_ = ScanPosition{position_, segment_base_, kNoTimestamp, 0, segment_base_ == 0, closed_};
  } else {
    seq_ = ScanPosition{position_, 0, kNoTimestamp, 0, false, /*segment_start=*/true, BatchState::kUnknown};
  }
}

// Timestamps never decrease, so the answer lies in the newest segment whose first frame is
// older than the target (or in the oldest segment).
Status ReaderImpl::OpenSegmentForTime(int64_t timestamp_ns) {
  EVLOG_ASSIGN_OR_RETURN(std::vector<uint64_t> segments, ListSegments(log_->fs(), log_->dir()));
  if (segments.empty()) return SeekToOffset(0);  // an empty log whose creation was interrupted
  for (auto it = segments.rbegin(); it != segments.rend(); ++it) {
    EVLOG_RETURN_IF_ERROR(OpenSegmentAt(*it));
    FrameHeader h;
    std::string why;
    const uint64_t start = format::segment::kHeaderSize;
    bool older = false;
    if (start < limit_) {
      EVLOG_ASSIGN_OR_RETURN(FrameParse parse, ReadFrame(start, false, &h, &why));
      older = parse == FrameParse::kOk && h.first_timestamp < timestamp_ns;
    }
    if (older || std::next(it) == segments.rend()) break;
  }
  return Status::Ok();
}

Status ReaderImpl::SeekToTime(int64_t timestamp_ns) {
  Status opened;
  do {  // compaction may remove a listed segment before it is opened: list again
    opened = OpenSegmentForTime(timestamp_ns);
  } while (opened.code() == StatusCode::kNotFound);
  EVLOG_RETURN_IF_ERROR(opened);
  if (!segment_) {
    time_floor_ = timestamp_ns;
    return Status::Ok();
  }
  EVLOG_ASSIGN_OR_RETURN(position_, IndexedPosition(UINT64_MAX, timestamp_ns));
  next_offset_ = segment_base_;
  time_floor_ = timestamp_ns;
  positioned_ = true;
  StartSequence();
  return SettleOnTimeFloor();
}

// Moves the cursor onto the first committed event at or after the time floor, so that
// position() names it. If there is none yet, position() is the committed end and the floor
// stays, for events appended later.
Status ReaderImpl::SettleOnTimeFloor() {
  while (true) {
    if (cursor_ == nullptr || cursor_ >= frame_end_) {
      cursor_ = frame_end_ = nullptr;
      EVLOG_ASSIGN_OR_RETURN(bool more, NextFrame());
      if (!more) {
        EVLOG_ASSIGN_OR_RETURN(HeadRecord head, log_->CommittedHead());
        next_offset_ = std::max(next_offset_, head.next_offset);
        return Status::Ok();
      }
    }
    const char* record = cursor_;
    EventRecord r;
    if (!DecodeEventRecord(&cursor_, frame_end_, &r, &headers_)) {
      return CorruptFrame(frame_at_, "event record does not decode");
    }
    if (EventTimestamp(frame_.first_timestamp, r.timestamp_delta) >= time_floor_) {
      cursor_ = record;  // Next() returns this event
      next_offset_ = frame_.base_offset + r.offset_delta;
      time_floor_ = INT64_MIN;
      return Status::Ok();
    }
  }
}

// Moves to the segment after the current (closed) one. False if there is none yet.
// The current segment may have been removed by compaction meanwhile (its mapping stays
// readable); the listing then starts after it, at the oldest remaining segment.
Result<bool> ReaderImpl::AdvanceSegment() {
  while (true) {
    EVLOG_ASSIGN_OR_RETURN(std::vector<uint64_t> segments, ListSegments(log_->fs(), log_->dir()));
    auto it = std::upper_bound(segments.begin(), segments.end(), segment_base_);
    if (it == segments.end()) return false;
    // What the next segment's first frame must chain to: read before the header is replaced.
    const uint64_t chain_out = chain_out_;
    if (*it < next_offset_) {
      return Status::Corruption(fmt::format(
          "segment {} starts at offset {}, before the end of the previous segment ({})", SegmentFileName(*it), *it,
          next_offset_));
    }
    Status opened = OpenSegmentAt(*it);
    if (opened.code() == StatusCode::kNotFound) continue;  // removed after listing: list again
    EVLOG_RETURN_IF_ERROR(opened);
    // A gap may be events removed by key compaction (the chain then still links, via
    // chain_out) or removed segments (it does not): without knowing which, the first frame
    // after a gap is read without a predecessor (format-spec §4.3, §5.6); check 14 still holds.
    if (*it > seq_.next_offset) {
      seq_.chain_known = false;
    } else if (chain_out != 0) {
      seq_.last_checksum = chain_out;
      seq_.chain_known = true;
    }
    seq_.position = position_;
    seq_.next_offset = *it;
    seq_.segment_start = closed_;  // only a closed segment may have been rewritten (check 13)
    seq_.batch = BatchState::kOutside;
    next_offset_ = std::max(next_offset_, *it);
    return true;
  }
}

// Loads the next frame with events to return into the cursor. False at the readable end.
Result<bool> ReaderImpl::NextFrame() {
  if (!segment_) {  // the log had no segment when it was positioned
    EVLOG_ASSIGN_OR_RETURN(std::vector<uint64_t> segments, ListSegments(log_->fs(), log_->dir()));
    if (segments.empty()) return false;
    EVLOG_RETURN_IF_ERROR(SeekToOffset(next_offset_));
  }
  while (true) {
    if (unit_next_ == unit_.size()) {
      EVLOG_ASSIGN_OR_RETURN(bool more, LoadUnit());
      if (!more) return false;
    }
    const auto& [h, at] = unit_[unit_next_++];
    if (!h.has_events() || h.next_offset() <= next_offset_ || h.last_timestamp < time_floor_) continue;
    frame_ = h;
    frame_at_ = at;
    // Verified by LoadUnit; read again only when its unit was too large to keep.
    EVLOG_ASSIGN_OR_RETURN(std::string_view bytes, window_.Bytes(at, h.length, limit_));
    cursor_ = bytes.data() + format::frame::kHeaderSize;
    frame_end_ = bytes.data() + h.length;
    return true;
  }
}

// Reads the next unit of trust (format-spec §5.4): a FULL frame, a skippable record, or a
// whole FIRST..LAST batch, each frame validated (§5.6 steps 1-14) before any event of the
// unit is returned. So a batch left open at the committed end, or at the end of a closed
// segment, is reported as corruption and never half returned. False at the readable end.
Result<bool> ReaderImpl::LoadUnit() {
  unit_.clear();
  unit_next_ = 0;
  while (position_ >= limit_) {
    EVLOG_RETURN_IF_ERROR(RefreshLimit());
    if (position_ < limit_) break;
    if (!closed_) return false;
    EVLOG_ASSIGN_OR_RETURN(bool advanced, AdvanceSegment());
    if (!advanced) return false;
  }
  if (position_ >= dropped_before_ + kDropEveryBytes) {  // bound resident memory of long reads
    window_.DropBefore(position_);
    dropped_before_ = position_;
  }
  ScanPosition cur = seq_;
  cur.position = position_;
  do {
    if (cur.position >= limit_) EVLOG_RETURN_IF_ERROR(RefreshLimit());  // a closed segment reads to its end
    if (cur.position >= limit_) {
      return CorruptFrame(cur.position, closed_ ? "incomplete batch: the segment ends inside a batch"
                                                : "incomplete batch: HEAD's committed end lies inside a batch");
    }
    FrameHeader h;
    std::string why;
    const uint64_t at = cur.position;
    // A checksum only proves the bytes were written, not that the writer wrote them right.
    EVLOG_ASSIGN_OR_RETURN(FrameParse parse, ReadFrame(at, true, &h, &why));
    if (parse == FrameParse::kNoFrame) why = "zero bytes where a frame should start";
    if (parse == FrameParse::kTruncated) why = "frame cut short below the committed end";
    if (parse != FrameParse::kOk || !AdvanceInSequence(h, &cur, &why)) return CorruptFrame(at, why);
    // HEAD's two ends must agree: one naming an earlier next offset would make every
    // command that takes the log's end from it (export, stat, groups' lag) stop short.
    if (h.has_events() && h.next_offset() > head_next_offset_) {
      return CorruptFrame(at, fmt::format("a frame of events up to offset {} lies below HEAD's committed end, but HEAD "
                                          "says the log's next offset is {} (HEAD is damaged: run `evlog verify`)",
                                          h.next_offset() - 1, head_next_offset_));
    }
    unit_.emplace_back(h, at);
  } while (cur.inside_batch());
  seq_ = cur;
  position_ = cur.position;
  return true;
}

Result<bool> ReaderImpl::Next(Event* event) {
  if (!positioned_) EVLOG_RETURN_IF_ERROR(SeekToOffset(0));
  while (true) {
    if (cursor_ == nullptr || cursor_ >= frame_end_) {
      cursor_ = frame_end_ = nullptr;
      EVLOG_ASSIGN_OR_RETURN(bool more, NextFrame());
      if (!more) return false;
    }
    EventRecord r;
    if (!DecodeEventRecord(&cursor_, frame_end_, &r, &headers_)) {
      return CorruptFrame(frame_at_, "event record does not decode");
    }
    const uint64_t offset = frame_.base_offset + r.offset_delta;
    const int64_t timestamp = EventTimestamp(frame_.first_timestamp, r.timestamp_delta);
    if (offset < next_offset_ || timestamp < time_floor_) continue;
    time_floor_ = INT64_MIN;
    next_offset_ = offset + 1;
    event->offset = offset;
    event->timestamp_ns = timestamp;
    // Field by field: GCC copied the std::optional through the stack with a one-byte store
    // and a wider load, a stall on store-to-load forwarding for every event (a tenth of
    // `tail`'s time).
    if (r.key) {
      event->key.emplace(r.key->data(), r.key->size());
    } else {
      event->key.reset();
    }
    event->headers = headers_;
    event->payload = r.payload;
    return true;
  }
}

Status ReaderImpl::WaitForAppend(int timeout_ms) {
  if (!watch_) {
    auto watch = log_->fs()->Watch(log_->Path(format::kHeadFileName));
    if (!watch && watch.error().code() == StatusCode::kNotFound) {
      // No HEAD to watch: a log whose creation was interrupted, which the next append
      // completes (format-spec §2). Look again shortly; the caller calls Next() first.
      std::this_thread::sleep_for(std::chrono::milliseconds(timeout_ms < 0 ? 100 : std::min(timeout_ms, 100)));
      return Status::Ok();
    }
    EVLOG_ASSIGN_OR_RETURN(watch_, std::move(watch));
  }
  // Checked after the watch exists, so a commit between the last read and now is not missed.
  EVLOG_ASSIGN_OR_RETURN(HeadRecord head, log_->CommittedHead());
  if (head.sequence != seen_sequence_) {
    seen_sequence_ = head.sequence;
    return Status::Ok();
  }
  return watch_->Wait(timeout_ms);
}

}  // namespace

Result<std::unique_ptr<Reader>> NewReaderImpl(Log::Impl* log) {
  return std::unique_ptr<Reader>(new ReaderImpl(log));
}

}  // namespace eventlog
