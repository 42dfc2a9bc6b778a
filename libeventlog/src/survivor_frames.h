// The survivors of one closed segment, re-encoded as frames for a key-compaction rewrite
// (format-spec §13.2).
//
// A record stores its offset and timestamp as deltas from the first event of its frame
// (§5.5), so a record grows when it moves into a frame that starts before the one it came
// from: merging a segment's frames into one turned 1-byte timestamp deltas into 5-byte ones
// and made the rewrite of a full segment larger than the segment. So the rewrite starts a
// new frame at the first survivor of each source frame: a survivor then sits in a frame that
// starts at or after its source frame's first event, its deltas can only shrink, and so can
// its record.
//
// One rule limits this: within a segment each frame starts at the offset after the previous
// frame's last event (§5.6 check 13), so a gap in the offsets can lie only inside a frame,
// and a new frame can start only at a survivor whose offset follows the previous survivor's
// by one. Where the events at a source frame boundary were removed, the source frame's
// survivors join the frame before up to the first two that follow each other; only those
// records may grow. The removed events and the frame header saved usually outweigh that, but
// not always: the caller compares segment_bytes() with the log's segment size.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "eventlog/batch.h"
#include "eventlog/event.h"
#include "eventlog/status.h"
#include "frame.h"

namespace eventlog {

class SurvivorFrames {
 public:
  // `frame_body_bytes`: where a frame is split where it can be (§5.4, a writer's SHOULD).
  explicit SurvivorFrames(uint64_t frame_body_bytes = Batch::kDefaultFrameBodyBytes);

  // Called before the survivors of each data frame of the source segment, in order;
  // `starts_batch` for a FULL or FIRST frame. The source's batches stay batches, except
  // that two become one where a frame has to take survivors of both.
  void BeginSourceFrame(bool starts_batch);

  // Appends a survivor. Offsets must strictly increase and timestamps must not decrease,
  // as in the source segment. Errors: kInvalidArgument if the survivor can neither start a
  // frame (a gap lies before it) nor join the current one (its offset lies more than
  // 2^32 - 1 after the frame's first, the most a frame can span, §5.2): such a segment
  // cannot be rewritten and stays as it was.
  Status Add(const EventInput& event, uint64_t offset, int64_t timestamp);

  // Makes room for a segment file of `bytes` at once: the source segment's size, which the
  // rewrite rarely exceeds, so that growing never holds two copies of the segment.
  void Reserve(uint64_t bytes) { bytes_.reserve(bytes); }

  // The size of the segment file TakeSegment() returns.
  uint64_t segment_bytes() const;

  // The rewritten segment file: the encoded `segment_header` (64 bytes, §4.1), then the
  // frames, the first chained to `prev_checksum` (§5.3). The frames are encoded in place, so
  // that a rewrite needs memory for one copy of the segment; this object is left empty.
  std::string TakeSegment(std::string_view segment_header, uint64_t prev_checksum);

 private:
  struct Frame {
    uint64_t position = 0;  // in bytes_, of the frame header (written by TakeSegment)
    uint64_t body_size = 0;
    bool starts_batch = false;
    FrameHeader header;  // kind and prev_checksum are set by TakeSegment
  };
  void StartFrame(uint64_t offset, int64_t timestamp);

  uint64_t frame_body_bytes_;
  // The segment file being built: room for its header, then per frame room for the
  // header, the body and the padding; the last frame's padding is added by TakeSegment.
  std::string bytes_;
  std::vector<Frame> frames_;
  uint64_t last_offset_ = 0;
  // The current frame started before the current source frame: the next survivor that
  // follows the previous one by one offset starts a frame.
  bool frame_behind_source_ = false;
  // Source batches are numbered as they begin; a frame starts a batch when its first
  // survivor comes from another source batch than the survivor before it.
  uint64_t source_batch_ = 0;
  uint64_t last_survivor_batch_ = 0;
};

}  // namespace eventlog
