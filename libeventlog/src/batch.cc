#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "batch_impl.h"
#include "format.h"
#include "frame.h"

namespace eventlog {
namespace {

namespace f = format::frame;

// Finished frames beyond this many bytes move to the spill file; memory use of a batch is
// then bounded by this plus one frame, however many events it holds.
constexpr uint64_t kSpillThresholdBytes = 8ull << 20;

// The largest usable offset (format-spec §1): the offset after it must still fit a u64.
constexpr uint64_t kMaxPresetOffset = UINT64_MAX - 1;

uint64_t OnDiskSize(uint64_t body_size) { return format::AlignUp(f::kHeaderSize + body_size); }

// The spill file is scratch space private to this process, not log state: it is opened
// unlinked (O_TMPFILE) so that it vanishes with the process, and bypasses the FileSystem
// seam because no durability or crash behaviour depends on it.
Result<int> OpenSpillFile(const std::string& dir) {
  for (const std::string& d : {dir, std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp")}) {
    int fd = open(d.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0) return fd;
  }
  return Status::IOError(fmt::format("cannot create a spill file for a large batch in {}: {}", dir, std::strerror(errno)));
}

}  // namespace

Batch::Impl::Impl(uint64_t max_event_bytes, uint64_t max_batch_bytes, std::string spill_dir, uint64_t frame_body_bytes)
    : max_event_bytes_(max_event_bytes),
      max_batch_bytes_(max_batch_bytes),
      frame_body_bytes_(frame_body_bytes),
      spill_dir_(std::move(spill_dir)) {
  StartFrame();
}

Batch::Impl::~Impl() {
  if (spill_fd_ >= 0) close(spill_fd_);
}

uint64_t Batch::Impl::encoded_bytes() const {
  return finished_bytes_ + (current_count_ > 0 ? OnDiskSize(current_.size()) : 0);
}

void Batch::Impl::FinishFrame() {
  FinishedFrame frame;
  frame.size = current_.size();
  frame.meta = current_meta_;
  frame.meta.event_count = current_count_;
  finished_bytes_ += OnDiskSize(current_.size());
  in_memory_bytes_ += current_.size();
  frame.body = std::move(current_);
  frames_.push_back(std::move(frame));
  StartFrame();
}

// Gives the next frame a body with room for a whole frame, reusing an old one if possible:
// growing a string to 256 KiB by doubling would copy each byte twice more.
void Batch::Impl::StartFrame() {
  current_count_ = 0;
  current_meta_ = FrameMeta{};
  if (!spare_.empty()) {
    current_ = std::move(spare_.back());
    spare_.pop_back();
  } else {
    current_ = std::string();
    current_.reserve(std::min<uint64_t>(frame_body_bytes_, 1 << 20));
  }
  current_.clear();
}

Status Batch::Impl::CheckSizes(uint64_t record, bool new_frame) const {
  if (record > max_event_bytes_) {
    return Status::InvalidArgument(fmt::format(
        "event of {} bytes (payload, key and headers encoded) exceeds the log's maximum event size of {} bytes",
        record, max_event_bytes_));
  }
  const uint64_t current = current_count_ > 0 ? OnDiskSize(current_.size()) : 0;
  const uint64_t after = new_frame ? finished_bytes_ + current + OnDiskSize(record)
                                   : finished_bytes_ + OnDiskSize(current_.size() + record);
  if (after > max_batch_bytes_) {
    return Status::InvalidArgument(fmt::format(
        "batch exceeds {} bytes, the most one segment can hold; use a larger --segment-bytes when creating the log",
        max_batch_bytes_));
  }
  return Status::Ok();
}

Status Batch::Impl::Add(const EventInput& event) {
  if (preset_) {
    return Status::InvalidArgument("this batch holds events with preset offsets (AddAt); Add cannot join them");
  }
  uint64_t record = EventRecordSize(event, current_count_, 0);
  const bool new_frame = current_count_ > 0 && current_.size() + record > frame_body_bytes_;
  if (new_frame) record = EventRecordSize(event, 0, 0);
  EVLOG_RETURN_IF_ERROR(CheckSizes(record, new_frame));
  if (new_frame) FinishFrame();
  AppendEventRecord(&current_, event, current_count_, 0);
  current_meta_.last_offset_delta = current_count_;
  ++current_count_;
  ++event_count_;
  if (spill_allowed_ && in_memory_bytes_ > kSpillThresholdBytes) return SpillFinishedFrames();
  return Status::Ok();
}

// Decides where a preset event goes without changing the batch, so that a refused event
// leaves it as it was. format-spec §5.6 check 13 makes each frame start exactly where the
// previous one ended, so a gap in the offsets can only lie inside a frame (between two
// records): a new frame may start only where the offset is the previous one + 1, even if
// the current frame then grows beyond frame_body_bytes_.
Status Batch::Impl::CheckPreset(uint64_t offset, int64_t timestamp_ns, bool* new_frame, uint64_t* record,
                                const EventInput& event) const {
  if (offset > kMaxPresetOffset) {
    return Status::InvalidArgument(fmt::format("offset {} is beyond the largest usable offset {}", offset,
                                               kMaxPresetOffset));
  }
  if (event_count_ > 0 && offset <= last_offset_) {
    return Status::InvalidArgument(fmt::format(
        "offset {} does not follow offset {}: preset offsets in a batch must strictly increase", offset, last_offset_));
  }
  if (event_count_ > 0 && timestamp_ns < last_timestamp_) {
    return Status::InvalidArgument(fmt::format(
        "timestamp {} of offset {} is before {} of offset {}: preset timestamps in a batch must not decrease",
        timestamp_ns, offset, last_timestamp_, last_offset_));
  }
  *new_frame = false;
  *record = EventRecordSize(event, 0, 0);
  if (current_count_ == 0) return Status::Ok();
  const uint64_t offset_delta = offset - current_meta_.base_offset;
  const uint64_t time_delta = static_cast<uint64_t>(timestamp_ns) - static_cast<uint64_t>(current_meta_.first_timestamp);
  const bool contiguous = offset == last_offset_ + 1;
  const uint64_t in_frame = EventRecordSize(event, offset_delta, time_delta);
  // Deltas can make a record a few bytes larger than it was in its source; at the start of
  // a frame (deltas 0) it takes its smallest form, so an event that fitted the source's
  // maximum event size fits here too.
  if (contiguous && (current_.size() + in_frame > frame_body_bytes_ || offset_delta > UINT32_MAX ||
                     in_frame > max_event_bytes_)) {
    *new_frame = true;
    return Status::Ok();
  }
  if (offset_delta > UINT32_MAX) {  // last_offset_delta is a u32 (format-spec §5.2)
    return Status::InvalidArgument(fmt::format(
        "offset {} lies more than 2^32 - 1 offsets after offset {}, the start of its frame, with a gap in between",
        offset, current_meta_.base_offset));
  }
  *record = in_frame;
  return Status::Ok();
}

Status Batch::Impl::AddAt(const EventInput& event, uint64_t offset, int64_t timestamp_ns) {
  if (event_count_ > 0 && !preset_) {
    return Status::InvalidArgument("this batch holds events without preset offsets (Add); AddAt cannot join them");
  }
  bool new_frame = false;
  uint64_t record = 0;
  EVLOG_RETURN_IF_ERROR(CheckPreset(offset, timestamp_ns, &new_frame, &record, event));
  EVLOG_RETURN_IF_ERROR(CheckSizes(record, new_frame));
  if (new_frame) FinishFrame();
  if (current_count_ == 0) {
    current_meta_.base_offset = offset;
    current_meta_.first_timestamp = timestamp_ns;
  }
  const uint64_t offset_delta = offset - current_meta_.base_offset;
  AppendEventRecord(&current_, event, offset_delta,
                    static_cast<uint64_t>(timestamp_ns) - static_cast<uint64_t>(current_meta_.first_timestamp));
  current_meta_.last_offset_delta = static_cast<uint32_t>(offset_delta);
  current_meta_.last_timestamp = timestamp_ns;
  if (event_count_ == 0) {
    preset_ = true;
    first_offset_ = offset;
    first_timestamp_ = timestamp_ns;
  }
  last_offset_ = offset;
  last_timestamp_ = timestamp_ns;
  ++current_count_;
  ++event_count_;
  if (spill_allowed_ && in_memory_bytes_ > kSpillThresholdBytes) return SpillFinishedFrames();
  return Status::Ok();
}

Status Batch::Impl::SpillFinishedFrames() {
  if (spill_fd_ < 0) {
    EVLOG_ASSIGN_OR_RETURN(spill_fd_, OpenSpillFile(spill_dir_));
  }
  for (FinishedFrame& frame : frames_) {
    if (frame.body.empty()) continue;
    const char* p = frame.body.data();
    size_t left = frame.body.size();
    frame.spill_offset = spill_size_;
    while (left > 0) {
      ssize_t n = pwrite(spill_fd_, p, left, static_cast<off_t>(spill_size_));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Status::IOError(fmt::format("writing the batch spill file: {}", std::strerror(errno)));
      p += n;
      left -= static_cast<size_t>(n);
      spill_size_ += static_cast<uint64_t>(n);
    }
    std::string().swap(frame.body);
  }
  in_memory_bytes_ = 0;
  return Status::Ok();
}

Status Batch::Impl::ReadSpilled(const FinishedFrame& frame, std::string* scratch) const {
  scratch->resize(frame.size);
  ssize_t n = pread(spill_fd_, scratch->data(), frame.size, static_cast<off_t>(frame.spill_offset));
  if (n != static_cast<ssize_t>(frame.size)) {
    return Status::IOError(fmt::format("reading the batch spill file: {}", n < 0 ? std::strerror(errno) : "short read"));
  }
  return Status::Ok();
}

Batch::Impl::FrameView Batch::Impl::ViewOf(std::string_view body, const FrameMeta& m) {
  return {body, m.event_count, m.base_offset, m.last_offset_delta, m.first_timestamp, m.last_timestamp};
}

Status Batch::Impl::ForEachFrame(const FrameVisitor& fn) const {
  std::string scratch;
  for (const FinishedFrame& frame : frames_) {
    const bool spilled = frame.size > 0 && frame.body.empty();
    if (spilled) EVLOG_RETURN_IF_ERROR(ReadSpilled(frame, &scratch));
    EVLOG_RETURN_IF_ERROR(fn(ViewOf(spilled ? std::string_view(scratch) : std::string_view(frame.body), frame.meta)));
  }
  if (current_count_ == 0) return Status::Ok();
  FrameMeta current = current_meta_;
  current.event_count = current_count_;
  return fn(ViewOf(current_, current));
}

Status Batch::Impl::TakeFinishedFrames(size_t keep, const FrameVisitor& fn) {
  std::string scratch;
  while (frames_.size() > keep) {
    FinishedFrame frame = std::move(frames_.front());
    frames_.erase(frames_.begin());
    const bool spilled = frame.size > 0 && frame.body.empty();
    if (spilled) EVLOG_RETURN_IF_ERROR(ReadSpilled(frame, &scratch));
    Status handed = fn(ViewOf(spilled ? std::string_view(scratch) : std::string_view(frame.body), frame.meta));
    if (!spilled) {
      in_memory_bytes_ -= frame.body.size();
      spare_.push_back(std::move(frame.body));
    }
    EVLOG_RETURN_IF_ERROR(handed);
  }
  return Status::Ok();
}

void Batch::Impl::Clear() {
  for (FinishedFrame& frame : frames_) {
    if (frame.body.capacity() > 0) spare_.push_back(std::move(frame.body));
  }
  frames_.clear();
  current_.clear();
  current_count_ = 0;
  current_meta_ = FrameMeta{};
  event_count_ = 0;
  preset_ = false;
  finished_bytes_ = 0;
  in_memory_bytes_ = 0;
  if (spill_fd_ >= 0) {
    close(spill_fd_);
    spill_fd_ = -1;
  }
  spill_size_ = 0;
}

Batch::Batch(uint64_t max_event_bytes, uint64_t max_batch_bytes, std::string spill_dir, uint64_t frame_body_bytes)
    : impl_(std::make_unique<Impl>(max_event_bytes, max_batch_bytes, std::move(spill_dir), frame_body_bytes)) {}
Batch::~Batch() = default;
Batch::Batch(Batch&&) noexcept = default;
Batch& Batch::operator=(Batch&&) noexcept = default;
Status Batch::Add(const EventInput& event) { return impl_->Add(event); }
uint64_t Batch::EventBytes(const EventInput& event) { return EventRecordSize(event, 0, 0); }
Status Batch::AddAt(const EventInput& event, uint64_t offset, int64_t timestamp_ns) {
  return impl_->AddAt(event, offset, timestamp_ns);
}
uint64_t Batch::event_count() const { return impl_->event_count(); }
uint64_t Batch::encoded_bytes() const { return impl_->encoded_bytes(); }
void Batch::Clear() { impl_->Clear(); }

}  // namespace eventlog
