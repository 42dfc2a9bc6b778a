#include "segment_scan.h"

#include <fmt/format.h>

#include "format.h"

namespace eventlog {

namespace f = format::frame;

namespace {

// Checks that `h` continues the log at `cur` and fits the batch grammar; `in_group` says a
// FIRST frame was seen without its LAST yet.
bool ContinuesLog(const FrameHeader& h, const ScanPosition& cur, bool in_group, std::string* why) {
  if (cur.chain_known && h.prev_checksum != cur.last_checksum) {
    *why = "frame does not chain to the previous frame (prev_checksum mismatch)";
    return false;
  }
  if (!h.has_events()) {  // skippable: only its place in the chain and the grammar matter
    if (in_group) *why = "reserved record inside a batch";
    return !in_group;
  }
  if (h.first_timestamp < cur.last_timestamp) {
    *why = "frame timestamp goes backwards";
    return false;
  }
  if (cur.segment_start ? h.base_offset < cur.next_offset : h.base_offset != cur.next_offset) {
    *why = fmt::format("frame starts at offset {}, expected {}", h.base_offset, cur.next_offset);
    return false;
  }
  bool opens = h.kind == f::kFull || h.kind == f::kFirst;
  if (opens == in_group) {
    *why = in_group ? "batch interrupted by a new batch" : "batch continuation without its first frame";
    return false;
  }
  return true;
}

std::string Describe(FrameParse parse, const std::string& why) {
  switch (parse) {
    case FrameParse::kNoFrame: return "zero bytes where a frame should start";
    case FrameParse::kTruncated: return "frame cut short by the end of the file";
    default: return why;
  }
}

}  // namespace

ScanOutcome ScanBatches(std::string_view data, ScanPosition start, const FrameVisitor& on_frame) {
  ScanOutcome out;
  out.end = start;
  ScanPosition cur = start;
  bool in_group = false;
  while (cur.position < data.size()) {
    FrameHeader h;
    std::string why;
    FrameParse parse = ParseFrame(data, cur.position, /*check_body=*/true, &h, &why);
    if (parse != FrameParse::kOk || !ContinuesLog(h, cur, in_group, &why)) {
      out.problem = Describe(parse, why);
      out.stop_parse = parse;
      out.stop_position = out.end.position;  // an unfinished batch is dropped whole
      out.bad_position = cur.position;
      out.problem_offset = out.end.next_offset;
      return out;
    }
    if (on_frame) on_frame(h, cur.position);
    cur.position += h.aligned_length();
    cur.last_checksum = h.checksum;
    cur.chain_known = true;
    if (h.has_events()) {
      cur.last_timestamp = h.last_timestamp;
      cur.next_offset = h.next_offset();
      cur.segment_start = false;
    }
    in_group = h.kind == f::kFirst || h.kind == f::kMiddle;
    if (!in_group) out.end = cur;
  }
  out.reached_end = !in_group;
  out.stop_position = out.end.position;
  out.bad_position = cur.position;
  if (in_group) {
    out.problem = "batch without its last frame";
    out.problem_offset = out.end.next_offset;
  }
  return out;
}

bool ValidFrameAfter(std::string_view data, uint64_t from) {
  // Hostile bytes could plant a plausible header at every position, each claiming a long
  // body: cap the bytes hashed, and past the cap answer "maybe", which makes the caller
  // refuse to cut (the safe direction) instead of hanging.
  const uint64_t budget = 16 * data.size() + (64u << 20);
  uint64_t hashed = 0;
  for (uint64_t pos = format::AlignUp(from); pos + f::kHeaderSize <= data.size(); pos += f::kAlignment) {
    FrameHeader h;
    std::string why;
    FrameParse parse = ParseFrame(data, pos, /*check_body=*/false, &h, &why);
    if (ChecksumValid(parse)) return true;
    if (parse == FrameParse::kInvalid && why == "checksum mismatch") hashed += h.length;
    if (hashed > budget) return true;
  }
  return false;
}
}  // namespace eventlog
