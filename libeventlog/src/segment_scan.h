// Scanning a segment frame by frame, the core of recovery (format-spec §8) and of verify.
//
// A scan walks complete *batches*: a FULL frame, or FIRST, MIDDLE..., LAST. Its result says
// where the last complete batch ends and, if it stopped before the end of the data, where
// and why. Deciding whether such a stop is a torn tail or corruption is the caller's job
// (see ClassifyStop), because it depends on what lies beyond.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "frame.h"

namespace eventlog {

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
};

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

ScanOutcome ScanBatches(std::string_view data, ScanPosition start, const FrameVisitor& on_frame = nullptr);

// True if a checksum-valid frame starts at any 8-aligned position in [from, data.size())
// (or if that cannot be ruled out within a bounded amount of work). Checksum-valid bytes at
// or behind a bad spot mean committed data was damaged: a torn write leaves nothing valid
// behind it (format-spec §8.3).
bool ValidFrameAfter(std::string_view data, uint64_t from);

}  // namespace eventlog
