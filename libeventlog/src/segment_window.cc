#include "segment_window.h"

#include <algorithm>
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

Result<std::string_view> SegmentWindow::Bytes(uint64_t position, uint64_t length, uint64_t limit) {
  if (position >= start_ && position + length <= start_ + held_) {
    return std::string_view(buffer_.data() + (position - start_), length);
  }
  if (length > kMaxBufferedSpan) return Mapped(position, length, limit);
  const uint64_t want = std::min(std::max(length, next_read_), limit - position);
  if (buffer_.size() < want) buffer_.resize(want);
  // Moving on from where the last read ended: read more at a time.
  if (position == start_ + held_) next_read_ = std::min(next_read_ * 2, kReadBytes);
  start_ = position;
  held_ = 0;  // until the read succeeds
  EVLOG_ASSIGN_OR_RETURN(size_t got, file_->Read(position, std::span<char>(buffer_.data(), want)));
  held_ = got;
  if (got < length) return CutShort(position + got, limit);
  return std::string_view(buffer_.data(), length);
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
