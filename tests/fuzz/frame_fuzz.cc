// The frame decoder (format-spec §5): ParseFrame and DecodeEventRecord over arbitrary bytes.
//
// Input: one flag byte (bit 0: seal the frame's checksum, see seal.h), then the frame.
// Properties beyond not crashing:
//   - decoding the body is the last check: a frame that fails it fails nothing else;
//   - an accepted frame's records decode, match its header, and re-encode with the writer's
//     encoder to the same bytes, or to fewer bytes when the input used longer varints than
//     needed (which readers must accept, format-spec §1), never to different ones;
//   - the re-encoded frame parses back to the same header and records.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "coding.h"
#include "format.h"
#include "frame.h"
#include "fuzz_check.h"
#include "owned_event.h"
#include "seal.h"

namespace eventlog {
namespace {

namespace f = format::frame;

// The frame's events, with their offsets and timestamps resolved against the header.
std::vector<fuzz::OwnedEvent> DecodeBody(const FrameHeader& h, std::string_view body) {
  std::vector<fuzz::OwnedEvent> events;
  std::vector<HeaderView> headers;
  const char* p = body.data();
  const char* end = p + body.size();
  uint64_t last_delta = 0;
  while (p < end) {
    EventRecord r;
    FUZZ_CHECK(DecodeEventRecord(&p, end, &r, &headers));
    const int64_t t = EventTimestamp(h.first_timestamp, r.timestamp_delta);
    FUZZ_CHECK(t >= h.first_timestamp && t <= h.last_timestamp);
    events.push_back(fuzz::Own(Event{h.base_offset + r.offset_delta, t, r.key, headers, r.payload}));
    last_delta = r.offset_delta;
  }
  FUZZ_CHECK(events.size() == h.event_count && last_delta == h.last_offset_delta);
  return events;
}

// The body the writer's encoder makes of `events` in a frame with header `h`.
std::string Encode(const FrameHeader& h, const std::vector<fuzz::OwnedEvent>& events) {
  std::string body;
  std::vector<HeaderView> headers;
  for (const fuzz::OwnedEvent& owned : events) {
    const Event e = fuzz::View(owned, &headers);
    const EventInput input{e.key, e.headers, e.payload};
    const uint64_t offset_delta = e.offset - h.base_offset;
    const uint64_t timestamp_delta = static_cast<uint64_t>(e.timestamp_ns) - static_cast<uint64_t>(h.first_timestamp);
    const size_t before = body.size();
    AppendEventRecord(&body, input, offset_delta, timestamp_delta);
    FUZZ_CHECK(body.size() - before == EventRecordSize(input, offset_delta, timestamp_delta));
  }
  return body;
}

void CheckOneFrame(const std::string& data) {
  FrameHeader h;
  std::string why;
  const FrameParse parse = ParseFrame(data, 0, /*check_body=*/true, &h, &why);
  FrameHeader shallow_header;
  std::string shallow_why;
  const FrameParse shallow = ParseFrame(data, 0, /*check_body=*/false, &shallow_header, &shallow_why);
  FUZZ_CHECK(parse == shallow || (shallow == FrameParse::kOk && parse == FrameParse::kDamaged));
  if (parse != FrameParse::kOk) return;
  FUZZ_CHECK(h.aligned_length() <= data.size() && h.length >= f::kHeaderSize);
  if (!h.has_events()) return;

  const std::string_view body(data.data() + f::kHeaderSize, h.length - f::kHeaderSize);
  const std::vector<fuzz::OwnedEvent> events = DecodeBody(h, body);
  const std::string encoded = Encode(h, events);
  FUZZ_CHECK(encoded.size() <= body.size());
  if (encoded.size() == body.size()) FUZZ_CHECK(encoded == body);

  FrameHeader again_header = h;
  std::string again(f::kHeaderSize, '\0');
  EncodeFrameHeader(&again_header, encoded, again.data());
  again += encoded;
  again.resize(format::AlignUp(again.size()), '\0');
  FrameHeader parsed;
  FUZZ_CHECK(ParseFrame(again, 0, true, &parsed, &why) == FrameParse::kOk);
  FUZZ_CHECK(parsed.kind == h.kind && parsed.base_offset == h.base_offset && parsed.event_count == h.event_count &&
             parsed.last_offset_delta == h.last_offset_delta && parsed.first_timestamp == h.first_timestamp &&
             parsed.last_timestamp == h.last_timestamp && parsed.prev_checksum == h.prev_checksum);
  FUZZ_CHECK(DecodeBody(parsed, std::string_view(again).substr(f::kHeaderSize, parsed.length - f::kHeaderSize)) ==
             events);
  // The one header field a reader ignores (format-spec §5.2) is the reserved word.
  if (encoded == body && GetFixed32(data.data() + f::kReservedAt) == 0) {
    FUZZ_CHECK(again == data.substr(0, h.aligned_length()));
  }
}

}  // namespace
}  // namespace eventlog

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  if (size < 1) return 0;
  std::string data(reinterpret_cast<const char*>(bytes) + 1, size - 1);
  if (bytes[0] & 1) eventlog::fuzz::SealFrames(data, 0, /*chain=*/false, 0);
  eventlog::CheckOneFrame(data);
  return 0;
}
