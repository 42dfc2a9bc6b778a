#include "segment_window.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <span>

#include <fmt/format.h>

namespace eventlog {

void SegmentWindow::Reset(const File* file, std::string name) {
  file_ = file;
  name_ = std::move(name);
  start_ = 0;
  held_ = 0;
  next_read_ = kFirstReadBytes;
  map_.reset();
}

Status SegmentWindow::CutShort(uint64_t size, uint64_t limit) const {
  return Status::Corruption(fmt::format("segment {}: cut short while being read: it ends at byte {}, below byte {} "
                                        "that it held when the reader reached it (did another program truncate it? "
                                        "`evlog verify` tells what is left)",
                                        name_, size, limit));
}

void SegmentWindow::AlignedFree::operator()(char* p) const {
  ::operator delete[](p, std::align_val_t{kPageBytes});
}

void SegmentWindow::Reserve(uint64_t bytes, uint64_t keep) {
  if (bytes <= capacity_) return;
  const uint64_t capacity = std::max(bytes, capacity_ * 2);
  std::unique_ptr<char, AlignedFree> grown(static_cast<char*>(::operator new[](capacity, std::align_val_t{kPageBytes})));
  if (keep > 0) std::memcpy(grown.get(), buffer_.get(), keep);
  buffer_ = std::move(grown);
  capacity_ = capacity;
}

Result<std::string_view> SegmentWindow::Bytes(uint64_t position, uint64_t length, uint64_t limit) {
  if (position >= start_ && position + length <= start_ + held_) {
    return std::string_view(buffer_.get() + (position - start_), length);
  }
  if (length > kMaxBufferedSpan) return Mapped(position, length, limit);
  const uint64_t held_end = start_ + held_;
  const uint64_t from = position / kPageBytes * kPageBytes;  // >= start_ when position is
  uint64_t kept = 0;
  if (held_ > 0 && position >= start_ && position <= held_end) {
    // Moving on from the last read: keep what it brought of this span, continue the file
    // where it stopped, and read more at a time.
    next_read_ = std::min(next_read_ * 2, kReadBytes);
    kept = held_end - from;
    if (from != start_) std::memmove(buffer_.get(), buffer_.get() + (from - start_), kept);
  }
  const uint64_t read_at = from + kept;
  const uint64_t read_end = std::min(std::max(position + length, read_at + next_read_), limit);
  Reserve(read_end - from, kept);
  start_ = from;
  held_ = kept;  // until the read succeeds
  EVLOG_ASSIGN_OR_RETURN(size_t got,
                         file_->Read(read_at, std::span<char>(buffer_.get() + kept, read_end - read_at)));
  held_ = kept + got;
  if (start_ + held_ < position + length) return CutShort(start_ + held_, limit);
  return std::string_view(buffer_.get() + (position - start_), length);
}

Result<std::string_view> SegmentWindow::Mapped(uint64_t position, uint64_t length, uint64_t limit) {
  if (!map_ || map_->bytes().size() < position + length) {
    map_.reset();  // before mapping again: one mapping at a time
    // A mapping past the file's end faults (SIGBUS) where it is read: say it here instead.
    EVLOG_ASSIGN_OR_RETURN(uint64_t size, file_->Size());
    if (size < limit) return CutShort(size, limit);
    EVLOG_ASSIGN_OR_RETURN(map_, file_->Map(limit));
  }
  return map_->bytes().substr(position, length);
}

void SegmentWindow::DropBefore(uint64_t position) {
  if (map_) map_->DropBefore(position);
}

}  // namespace eventlog
