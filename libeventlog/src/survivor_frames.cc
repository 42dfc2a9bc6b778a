#include "survivor_frames.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "format.h"

namespace eventlog {
namespace {

// frame_length is a u32 that counts the header too (format-spec §5.2).
constexpr uint64_t kLargestFrameBody = UINT32_MAX - format::frame::kHeaderSize;

}  // namespace

SurvivorFrames::SurvivorFrames(uint64_t frame_body_bytes)
    : frame_body_bytes_(frame_body_bytes), bytes_(format::segment::kHeaderSize, '\0') {}

void SurvivorFrames::BeginSourceFrame(bool starts_batch) {
  if (starts_batch) ++source_batch_;
  frame_behind_source_ = !frames_.empty();
}

void SurvivorFrames::StartFrame(uint64_t offset, int64_t timestamp) {
  bytes_.resize(format::AlignUp(bytes_.size()), '\0');  // the previous frame's padding
  Frame frame;
  frame.position = bytes_.size();
  frame.header.base_offset = offset;
  frame.header.first_timestamp = timestamp;
  frame.starts_batch = frames_.empty() || source_batch_ != last_survivor_batch_;
  frames_.push_back(frame);
  bytes_.resize(bytes_.size() + format::frame::kHeaderSize);
  frame_behind_source_ = false;
}

Status SurvivorFrames::Add(const EventInput& event, uint64_t offset, int64_t timestamp) {
  if (frames_.empty()) {
    StartFrame(offset, timestamp);
  } else {
    const Frame& current = frames_.back();
    const uint64_t offset_delta = offset - current.header.base_offset;
    const uint64_t record = EventRecordSize(
        event, offset_delta, static_cast<uint64_t>(timestamp) - static_cast<uint64_t>(current.header.first_timestamp));
    const bool cannot_join = offset_delta > UINT32_MAX || current.body_size + record > kLargestFrameBody;
    // §5.6 check 13: a frame may start only where the previous one's offsets end.
    const bool may_start = offset == last_offset_ + 1;
    if (may_start && (frame_behind_source_ || cannot_join || current.body_size + record > frame_body_bytes_)) {
      StartFrame(offset, timestamp);
    } else if (cannot_join) {
      return Status::InvalidArgument(fmt::format(
          "offset {} can neither join the frame that starts at offset {} (a frame spans at most 2^32 - 1 offsets "
          "and 4 GiB) nor start a frame, since offset {} before it does not exist",
          offset, current.header.base_offset, offset - 1));
    }
  }
  Frame& frame = frames_.back();
  const uint64_t offset_delta = offset - frame.header.base_offset;
  const size_t before = bytes_.size();
  AppendEventRecord(&bytes_, event, offset_delta,
                    static_cast<uint64_t>(timestamp) - static_cast<uint64_t>(frame.header.first_timestamp));
  frame.body_size += bytes_.size() - before;
  frame.header.last_offset_delta = static_cast<uint32_t>(offset_delta);
  frame.header.last_timestamp = timestamp;
  ++frame.header.event_count;
  last_offset_ = offset;
  last_survivor_batch_ = source_batch_;
  return Status::Ok();
}

uint64_t SurvivorFrames::segment_bytes() const { return format::AlignUp(bytes_.size()); }

std::string SurvivorFrames::TakeSegment(std::string_view segment_header, uint64_t prev_checksum) {
  namespace f = format::frame;
  bytes_.resize(format::AlignUp(bytes_.size()), '\0');
  std::memcpy(bytes_.data(), segment_header.data(), std::min(segment_header.size(), format::segment::kHeaderSize));
  for (size_t i = 0; i < frames_.size(); ++i) {
    Frame& frame = frames_[i];
    frame.header.kind = BatchFrameKind(frame.starts_batch, i + 1 == frames_.size() || frames_[i + 1].starts_batch);
    frame.header.prev_checksum = prev_checksum;
    char* at = bytes_.data() + frame.position;
    EncodeFrameHeader(&frame.header, std::string_view(at + f::kHeaderSize, frame.body_size), at);
    prev_checksum = frame.header.checksum;
  }
  std::string segment = std::move(bytes_);
  *this = SurvivorFrames(frame_body_bytes_);
  return segment;
}

}  // namespace eventlog
