// Frames (format-spec §5): the unit of checksumming. A frame is a 64-byte header, a body of
// event records, and zero padding to a multiple of 8 bytes.
//
//   0       4     6   7    8            16      20         24          32         40    44    48            56
//   +-------+-----+---+----+------------+-------+----------+-----------+----------+-----+-----+-------------+----------+
//   |length |magic|ver|kind|base_offset |count  |last_delta|first_time |last_time |flags|rsvd |prev_checksum|checksum  |
//   +-------+-----+---+----+------------+-------+----------+-----------+----------+-----+-----+-------------+----------+
//   body: record*   record := varint len | varint offset_delta | varint ts_delta |
//                             varint key_len+1 | key | varint n_headers | (varint len|name|varint len|value)* | payload
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "eventlog/event.h"
#include "format.h"

namespace eventlog {

struct FrameHeader {
  uint32_t length = 0;  // header + body, without padding
  uint8_t kind = 0;
  uint64_t base_offset = 0;
  uint32_t event_count = 0;
  uint32_t last_offset_delta = 0;
  int64_t first_timestamp = 0;
  int64_t last_timestamp = 0;
  uint64_t prev_checksum = 0;
  uint64_t checksum = 0;

  uint64_t aligned_length() const;
  uint64_t next_offset() const { return base_offset + last_offset_delta + 1; }
  bool has_events() const;  // false for skippable (reserved) kinds
};

// Writes the header for `body` into out[0, 64), computing the checksum; sets header->checksum.
void EncodeFrameHeader(FrameHeader* header, std::string_view body, char* out);

enum class FrameParse {
  kOk,
  kNoFrame,      // a zero length word: nothing was written here
  kTruncated,    // the frame runs past the end of the data
  kInvalid,      // bad length, magic or checksum: not a frame anyone finished writing
  kUnsupported,  // checksum-valid, but a version or flags this reader does not know
  kDamaged,      // checksum-valid, but padding, kind, header fields or body are wrong
};

// True for outcomes where the checksum matched: such bytes were written as a frame.
inline bool ChecksumValid(FrameParse p) {
  return p == FrameParse::kOk || p == FrameParse::kUnsupported || p == FrameParse::kDamaged;
}

// Parses and verifies the frame at `pos` in `data`: header fields, bounds, checksum and
// zero padding. With `check_body`, also decodes every record (format-spec §5.3). On anything
// but kOk, `*why` says what is wrong.
FrameParse ParseFrame(std::string_view data, uint64_t pos, bool check_body, FrameHeader* header,
                      std::string* why);

// One decoded event record; views point into the frame body.
struct EventRecord {
  uint64_t offset_delta = 0;
  uint64_t timestamp_delta = 0;
  std::optional<std::string_view> key;
  std::string_view payload;
};

// The kind of a batch's frame (format-spec §5.4): FULL alone, else FIRST, MIDDLE..., LAST.
inline uint8_t BatchFrameKind(bool first, bool last) {
  namespace f = format::frame;
  return first && last ? f::kFull : first ? f::kFirst : last ? f::kLast : f::kMiddle;
}

// An event's timestamp: first_timestamp + timestamp_delta (format-spec §5.5). Computed in
// unsigned arithmetic, because a frame may legally span INT64_MIN..INT64_MAX, whose delta
// does not fit an int64_t; in a valid frame the result lies in [first, last].
inline int64_t EventTimestamp(int64_t first_timestamp, uint64_t timestamp_delta) {
  return static_cast<int64_t>(static_cast<uint64_t>(first_timestamp) + timestamp_delta);
}

// now_ns - age_ns, saturating at INT64_MIN: the cut-off time of an age limit, where the age
// comes from the command line and may be as large as an int64_t allows.
inline int64_t TimeBefore(int64_t now_ns, int64_t age_ns) {
  int64_t out;
  return __builtin_sub_overflow(now_ns, age_ns, &out) ? (age_ns > 0 ? INT64_MIN : INT64_MAX) : out;
}

// Decodes the record at *p (advancing *p past it); headers go to *headers (cleared first).
bool DecodeEventRecord(const char** p, const char* end, EventRecord* record,
                       std::vector<HeaderView>* headers);

// The fields of a record after its offset and timestamp deltas (format-spec §5.5): key,
// headers and payload. The archive's event entries (§12) encode them the same way.
uint64_t KeyHeadersPayloadSize(std::optional<std::string_view> key, std::span<const HeaderView> headers,
                               std::string_view payload);
void AppendKeyHeadersPayload(std::string* out, std::optional<std::string_view> key,
                             std::span<const HeaderView> headers, std::string_view payload);

// Size of the encoded record for `event`, including its length prefix.
uint64_t EventRecordSize(const EventInput& event, uint64_t offset_delta, uint64_t timestamp_delta);
void AppendEventRecord(std::string* body, const EventInput& event, uint64_t offset_delta,
                       uint64_t timestamp_delta);

}  // namespace eventlog
