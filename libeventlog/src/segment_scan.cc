#include "segment_scan.h"

#include <fmt/format.h>

#include <algorithm>

#include "coding.h"
#include "format.h"

namespace eventlog {

namespace f = format::frame;

namespace {

std::string Describe(FrameParse parse, const std::string& why) {
  switch (parse) {
    case FrameParse::kNoFrame: return "zero bytes where a frame should start";
    case FrameParse::kTruncated: return "frame cut short by the end of the file";
    default: return why;
  }
}

}  // namespace

bool AdvanceInSequence(const FrameHeader& h, ScanPosition* cur, std::string* why) {
  // The first frame of a segment is never MIDDLE or LAST: a batch never spans segments, so
  // whatever a reader knew before, position 64 is outside any batch (format-spec §5.6).
  const BatchState batch = cur->position == format::segment::kHeaderSize ? BatchState::kOutside : cur->batch;
  const bool data = h.has_events();
  const bool opens = h.kind == f::kFull || h.kind == f::kFirst || !data;
  if (batch == BatchState::kInside && opens) {  // check 11
    *why = data ? fmt::format("unexpected kind: a new batch (kind {}) inside a batch without its last frame", h.kind)
                : "unexpected kind: a reserved record inside a batch";
    return false;
  }
  if (batch == BatchState::kOutside && !opens) {
    *why = fmt::format("unexpected kind: a batch continuation (kind {}) without its first frame", h.kind);
    return false;
  }
  if (cur->chain_known && h.prev_checksum != cur->last_checksum) {  // check 12
    *why = fmt::format("chain mismatch: prev_checksum {:#018x}, the previous frame's checksum is {:#018x}",
                       h.prev_checksum, cur->last_checksum);
    return false;
  }
  if (data && (cur->segment_start ? h.base_offset < cur->next_offset : h.base_offset != cur->next_offset)) {
    *why = fmt::format("offset out of sequence: frame starts at offset {}, expected {}{}", h.base_offset,
                       cur->segment_start ? "at least " : "", cur->next_offset);  // check 13
    return false;
  }
  if (data && h.first_timestamp < cur->last_timestamp) {  // check 14
    *why = fmt::format("timestamp out of order: frame starts at {} ns, before the previous frame's last timestamp {} ns",
                       h.first_timestamp, cur->last_timestamp);
    return false;
  }
  cur->position += h.aligned_length();
  cur->last_checksum = h.checksum;
  cur->chain_known = true;
  if (data) {
    cur->last_timestamp = h.last_timestamp;
    cur->next_offset = h.next_offset();
    cur->segment_start = false;
  }
  cur->batch = h.kind == f::kFirst || h.kind == f::kMiddle ? BatchState::kInside : BatchState::kOutside;
  return true;
}

ScanOutcome ScanBatches(std::string_view data, ScanPosition start, const FrameVisitor& on_frame, bool check_bodies) {
  ScanOutcome out;
  out.end = start;
  ScanPosition cur = start;
  while (cur.position < data.size()) {
    FrameHeader h;
    std::string why;
    const uint64_t position = cur.position;
    FrameParse parse = ParseFrame(data, position, check_bodies, &h, &why);
    if (parse != FrameParse::kOk || !AdvanceInSequence(h, &cur, &why)) {
      out.problem = Describe(parse, why);
      out.stop_parse = parse;
      out.stop_position = out.end.position;  // an unfinished batch is dropped whole
      out.bad_position = position;
      out.problem_offset = out.end.next_offset;
      return out;
    }
    if (on_frame) on_frame(h, position);
    if (!cur.inside_batch()) out.end = cur;
  }
  out.reached_end = !cur.inside_batch();
  out.stop_position = out.end.position;
  out.bad_position = cur.position;
  if (cur.inside_batch()) {
    out.problem = "incomplete batch: the data ends inside a batch, without its last frame";
    out.problem_offset = out.end.next_offset;
  }
  return out;
}

std::optional<uint64_t> FindChecksumValidFrame(std::string_view data, uint64_t from, FrameHeader* h,
                                               bool* gave_up) {
  // Hostile bytes could plant a plausible header at every position, each claiming a long
  // body: cap the bytes hashed, and past the cap give up, which callers deciding whether to
  // cut treat as "maybe" (the safe direction) instead of hanging.
  const uint64_t budget = 16 * data.size() + (64u << 20);
  uint64_t hashed = 0;
  *gave_up = false;
  for (uint64_t pos = format::AlignUp(from); pos + f::kHeaderSize <= data.size(); pos += f::kAlignment) {
    std::string why;
    FrameParse parse = ParseFrame(data, pos, /*check_body=*/false, h, &why);
    if (ChecksumValid(parse)) return pos;
    if (parse == FrameParse::kInvalid && why == "checksum mismatch") hashed += h->length;
    if (hashed > budget) {
      *gave_up = true;
      return std::nullopt;
    }
  }
  return std::nullopt;
}

bool ValidFrameAfter(std::string_view data, uint64_t from) {
  FrameHeader h;
  bool gave_up;
  return FindChecksumValidFrame(data, from, &h, &gave_up).has_value() || gave_up;
}

std::optional<uint64_t> CountEventsInFrames(std::string_view data, uint64_t limit) {
  uint64_t events = 0;
  limit = std::min<uint64_t>(limit, data.size());
  for (uint64_t pos = format::segment::kHeaderSize; pos < limit;) {
    if (limit - pos < f::kHeaderSize) return std::nullopt;
    const char* p = data.data() + pos;
    const uint32_t length = GetFixed32(p + f::kLengthAt);
    if (length < f::kHeaderSize || format::AlignUp(length) > limit - pos || GetFixed16(p + f::kMagicAt) != f::kMagic) {
      return std::nullopt;
    }
    if ((static_cast<uint8_t>(p[f::kKindAt]) & f::kSkippableBit) == 0) events += GetFixed32(p + f::kEventCountAt);
    pos += format::AlignUp(length);
  }
  return events;
}

TailClassification ClassifyTail(std::string_view data, const ScanPosition& start) {
  TailClassification out;
  out.scan = ScanBatches(data, start);
  out.refuse = !out.scan.reached_end && (out.scan.stop_parse == FrameParse::kUnsupported ||
                                         ValidFrameAfter(data, out.scan.bad_position));
  return out;
}

}  // namespace eventlog
