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
  frame.event_count = current_count_;
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
  if (!spare_.empty()) {
    current_ = std::move(spare_.back());
    spare_.pop_back();
  } else {
    current_ = std::string();
    current_.reserve(std::min<uint64_t>(frame_body_bytes_, 1 << 20));
  }
  current_.clear();
}

Status Batch::Impl::Add(const EventInput& event) {
  uint64_t record = EventRecordSize(event, current_count_, 0);
  if (current_count_ > 0 && current_.size() + record > frame_body_bytes_) {
    FinishFrame();
    record = EventRecordSize(event, 0, 0);
  }
  if (record > max_event_bytes_) {
    return Status::InvalidArgument(fmt::format(
        "event of {} bytes (payload, key and headers encoded) exceeds the log's maximum event size of {} bytes",
        record, max_event_bytes_));
  }
  if (encoded_bytes() - (current_count_ > 0 ? OnDiskSize(current_.size()) : 0) +
          OnDiskSize(current_.size() + record) > max_batch_bytes_) {
    return Status::InvalidArgument(fmt::format(
        "batch exceeds {} bytes, the most one segment can hold; use a larger --segment-bytes when creating the log",
        max_batch_bytes_));
  }
  AppendEventRecord(&current_, event, current_count_, 0);
  ++current_count_;
  ++event_count_;
  if (in_memory_bytes_ > kSpillThresholdBytes) return SpillFinishedFrames();
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

Status Batch::Impl::ForEachFrame(const FrameVisitor& fn) const {
  std::string scratch;
  for (const FinishedFrame& frame : frames_) {
    if (frame.size > 0 && frame.body.empty()) {
      scratch.resize(frame.size);
      ssize_t n = pread(spill_fd_, scratch.data(), frame.size, static_cast<off_t>(frame.spill_offset));
      if (n != static_cast<ssize_t>(frame.size)) {
        return Status::IOError(fmt::format("reading the batch spill file: {}", n < 0 ? std::strerror(errno) : "short read"));
      }
      EVLOG_RETURN_IF_ERROR(fn(scratch, frame.event_count));
    } else {
      EVLOG_RETURN_IF_ERROR(fn(frame.body, frame.event_count));
    }
  }
  if (current_count_ > 0) return fn(current_, current_count_);
  return Status::Ok();
}

void Batch::Impl::Clear() {
  for (FinishedFrame& frame : frames_) {
    if (frame.body.capacity() > 0) spare_.push_back(std::move(frame.body));
  }
  frames_.clear();
  current_.clear();
  current_count_ = 0;
  event_count_ = 0;
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
uint64_t Batch::event_count() const { return impl_->event_count(); }
uint64_t Batch::encoded_bytes() const { return impl_->encoded_bytes(); }
void Batch::Clear() { impl_->Clear(); }

}  // namespace eventlog
