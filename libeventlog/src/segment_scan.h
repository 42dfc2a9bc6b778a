// Scanning a segment frame by frame, the core of recovery (format-spec §8) and of verify.
//
// A scan walks complete *batches*: a FULL frame, or FIRST, MIDDLE..., LAST. Its result says
// where the last complete batch ends and, if it stopped before the end of the data, where
// and why. Deciding whether such a stop is a torn tail or corruption is the caller's job
// (see ClassifyStop), because it depends on what lies beyond.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "format_blocks.h"
#include "frame.h"

namespace eventlog {

// Where a frame boundary lies relative to batches (format-spec §5.4).
enum class BatchState : uint8_t {
  kOutside,  // between batches: FULL, FIRST or a skippable record may follow
  kInside,   // after FIRST or MIDDLE: only MIDDLE or LAST may follow
  kUnknown,  // after a seek into the middle of a segment: the frames before are unread
};

// The last_timestamp of a position with no data frame before it: check 14 of format-spec
// §5.6 then places no constraint (pre-1970 timestamps are legal, so 0 is not "none").
inline constexpr int64_t kNoTimestamp = INT64_MIN;

// The floor HEAD sets for the next frame's timestamp: none while the log has no frame, since
// HEAD then holds 0 for last_timestamp (format-spec §6.1).
inline int64_t HeadTimestampFloor(const HeadRecord& head) {
  return head.last_checksum == 0 ? kNoTimestamp : head.last_timestamp;
}

// The log's state at a frame boundary.
struct ScanPosition {
  uint64_t position = 0;      // byte position in the segment
  uint64_t next_offset = 0;   // offset the next event must carry
  int64_t last_timestamp = 0;
  uint64_t last_checksum = 0;  // checksum of the previous frame (the chain)
  bool chain_known = false;    // false when scanning starts without the previous frame
  // True at the start of a closed segment: its first data frame may start above
  // next_offset, because key compaction removed the events before it (format-spec §5.6
  // check 13). Never set for the newest segment, which is never rewritten.
  bool segment_start = false;
  BatchState batch = BatchState::kOutside;

  bool inside_batch() const { return batch == BatchState::kInside; }
};

// The sequence checks of format-spec §5.6 (11-14, and the rules for a segment's first
// frame), shared by every reader of frames: the Reader, verify, recovery and salvage, so that
// none of them accepts what another rejects. `h` must be a valid frame (ParseFrame kOk) at
// cur->position. On success advances *cur past it; otherwise leaves *cur unchanged and says
// why in *why, starting with the §10.3 reason ("unexpected kind", "chain mismatch", "offset
// out of sequence", "timestamp out of order").
bool AdvanceInSequence(const FrameHeader& h, ScanPosition* cur, std::string* why);

struct ScanOutcome {
  ScanPosition end;             // just after the last complete batch
  bool reached_end = false;     // every byte up to the end of the data is complete batches
  uint64_t stop_position = 0;   // first byte not covered by a complete batch
  uint64_t bad_position = 0;    // where the frame that failed starts (>= stop_position)
  std::string problem;          // why the scan stopped early
  FrameParse stop_parse = FrameParse::kOk;  // how the frame at bad_position parsed
  uint64_t problem_offset = 0;  // best guess of the first affected offset
};

using FrameVisitor = std::function<void(const FrameHeader& frame, uint64_t position)>;

// With `check_bodies` false, frames are verified by header and checksum only (format-spec
// §5.6 steps 1-10 less the record decoding): for data whose bodies were decoded before.
ScanOutcome ScanBatches(std::string_view data, ScanPosition start, const FrameVisitor& on_frame = nullptr,
                        bool check_bodies = true);

// True if a checksum-valid frame starts at any 8-aligned position in [from, data.size())
// (or if that cannot be ruled out within a bounded amount of work). Checksum-valid bytes at
// or behind a bad spot mean committed data was damaged: a torn write leaves nothing valid
// behind it (format-spec §8.3).
bool ValidFrameAfter(std::string_view data, uint64_t from);

// The position of the first checksum-valid frame at an 8-aligned position in
// [from, data.size()), with its header in *h; nullopt if there is none, or if the search gave
// up (*gave_up then says so) after hashing a bounded number of bytes.
std::optional<uint64_t> FindChecksumValidFrame(std::string_view data, uint64_t from, FrameHeader* h,
                                               bool* gave_up);

// The number of events in the frames tiling data[64, limit), from their headers alone (no
// checksum: stat's count, not a verification). Compaction leaves gaps in the offsets, so
// this is the only true count. nullopt if the frames do not tile the range.
std::optional<uint64_t> CountEventsInFrames(std::string_view data, uint64_t limit);

// How recovery classifies the bytes of the newest segment from `start` (its committed end)
// to the end of `data` (format-spec §8.3). Shared by recovery and verify, so that `verify`
// predicts exactly what `verify --repair` will do.
struct TailClassification {
  ScanOutcome scan;     // complete batches kept: [start, scan.end.position)
  bool refuse = false;  // not a torn tail: damage before checksum-valid bytes, or unsupported
};
TailClassification ClassifyTail(std::string_view data, const ScanPosition& start);

}  // namespace eventlog
