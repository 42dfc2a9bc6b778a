// The recovery scan over a segment image (format-spec §5.6, §8): ScanBatches, ClassifyTail,
// CountEventsInFrames and NextOffsetClaimed, the code that decides what a crash left behind.
//
// Input: one flag byte, then a whole segment file (its 64-byte header gives the base offset).
//   bit 0: seal every frame's checksum; bit 1: also chain the frames (seal.h);
//   bit 2: scan as a closed segment (key compaction may have removed its first events).
// Properties beyond not crashing:
//   - the scan stops on a frame boundary at or after the start, and covers all of the data
//     when it says it reached the end;
//   - the frames it visits tile the segment from the start;
//   - what recovery keeps, scanned alone, reaches its end in the same state (recovery's cut
//     is a fixed point), and a valid FULL frame that continues that state is accepted after
//     it (a writer can always append after recovery);
//   - skipping the body checks never stops the scan earlier;
//   - stat's header-only count and NextOffsetClaimed agree with the frames the scan kept.
#include <algorithm>
#include <cstdint>
#include <string>

#include "coding.h"
#include "format.h"
#include "frame.h"
#include "fuzz_check.h"
#include "seal.h"
#include "segment_scan.h"
#include "tail_scan.h"

namespace eventlog {
namespace {

namespace f = format::frame;
constexpr uint64_t kStart = format::segment::kHeaderSize;

bool SameState(const ScanPosition& a, const ScanPosition& b) {
  return a.position == b.position && a.next_offset == b.next_offset && a.last_timestamp == b.last_timestamp &&
         a.last_checksum == b.last_checksum && a.chain_known == b.chain_known && a.batch == b.batch;
}

// A one-event FULL frame that a writer would append at `end`.
std::string ContinuationFrame(const ScanPosition& end) {
  std::string body;
  AppendEventRecord(&body, EventInput{.payload = "next"}, 0, 0);
  FrameHeader h;
  h.kind = f::kFull;
  h.base_offset = end.next_offset;
  h.event_count = 1;
  h.first_timestamp = h.last_timestamp = std::max<int64_t>(end.last_timestamp, 0);
  h.prev_checksum = end.last_checksum;
  std::string frame(f::kHeaderSize, '\0');
  EncodeFrameHeader(&h, body, frame.data());
  frame += body;
  frame.resize(format::AlignUp(frame.size()), '\0');
  return frame;
}

void CheckScan(const std::string& data, const ScanPosition& start) {
  uint64_t tiled = start.position, events = 0;
  bool data_frame_kept = false;
  std::vector<std::pair<uint64_t, uint32_t>> frames;  // end position, events
  ScanOutcome scan = ScanBatches(data, start, [&](const FrameHeader& h, uint64_t position) {
    FUZZ_CHECK(position == tiled);
    tiled += h.aligned_length();
    frames.emplace_back(tiled, h.has_events() ? h.event_count : 0);
  });
  for (const auto& [end, count] : frames) {
    if (end > scan.end.position) break;
    events += count;
    data_frame_kept = data_frame_kept || count > 0;
  }
  FUZZ_CHECK(scan.end.position >= start.position && scan.end.position <= data.size());
  FUZZ_CHECK(scan.end.position % f::kAlignment == 0 && !scan.end.inside_batch());
  FUZZ_CHECK(scan.stop_position == scan.end.position && scan.bad_position >= scan.stop_position);
  FUZZ_CHECK(!scan.reached_end || scan.end.position == data.size());
  FUZZ_CHECK(scan.reached_end || !scan.problem.empty());

  const ScanOutcome kept = ScanBatches(std::string_view(data).substr(0, scan.end.position), start);
  FUZZ_CHECK(kept.reached_end && SameState(kept.end, scan.end));
  if (scan.end.next_offset < UINT64_MAX - 1) {
    const std::string appended = data.substr(0, scan.end.position) + ContinuationFrame(scan.end);
    const ScanOutcome after = ScanBatches(appended, start);
    FUZZ_CHECK(after.reached_end && after.end.next_offset == scan.end.next_offset + 1);
  }

  const ScanOutcome shallow = ScanBatches(data, start, nullptr, /*check_bodies=*/false);
  FUZZ_CHECK(shallow.end.position >= scan.end.position);

  const TailClassification tail = ClassifyTail(data, start);
  FUZZ_CHECK(SameState(tail.scan.end, scan.end) && tail.scan.reached_end == scan.reached_end);
  FUZZ_CHECK(!(tail.refuse && scan.reached_end));

  if (start.position == kStart) {
    const std::optional<uint64_t> counted = CountEventsInFrames(data, scan.end.position);
    FUZZ_CHECK(counted.has_value() && *counted == events);
  }
  if (data_frame_kept) FUZZ_CHECK(NextOffsetClaimed(data) >= scan.end.next_offset);
}

}  // namespace
}  // namespace eventlog

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  using namespace eventlog;
  if (size < 1 + kStart) return 0;
  const uint8_t flags = bytes[0];
  std::string data(reinterpret_cast<const char*>(bytes) + 1, size - 1);
  const uint64_t base = GetFixed64(data.data() + format::segment::kBaseOffsetAt);
  if (flags & 1) fuzz::SealFrames(data, kStart, /*chain=*/flags & 2, 0);
  ScanPosition start{kStart, base, kNoTimestamp, 0, /*chain_known=*/base == 0, /*segment_start=*/(flags & 4) != 0};
  CheckScan(data, start);
  return 0;
}
