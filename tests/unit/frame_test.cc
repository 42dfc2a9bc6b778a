#include <doctest/doctest.h>

#include "format.h"
#include "frame.h"

namespace eventlog {
namespace {

namespace f = format::frame;

// A FULL frame holding `payloads`, placed at position 0 of the returned buffer; `edit`
// changes the header before it is encoded and checksummed.
std::string MakeFrame(const std::vector<std::string>& payloads, FrameHeader* h,
                      void (*edit)(FrameHeader*) = nullptr) {
  std::string body;
  uint64_t delta = 0;
  for (const std::string& p : payloads) AppendEventRecord(&body, {.payload = p}, delta++, 0);
  h->kind = f::kFull;
  h->base_offset = 7;
  h->event_count = static_cast<uint32_t>(payloads.size());
  h->last_offset_delta = h->event_count - 1;
  h->first_timestamp = h->last_timestamp = 1000;
  if (edit != nullptr) edit(h);
  std::string frame(format::AlignUp(f::kHeaderSize + body.size()), '\0');
  std::copy(body.begin(), body.end(), frame.begin() + f::kHeaderSize);
  EncodeFrameHeader(h, body, frame.data());
  return frame;
}

}  // namespace

TEST_CASE("FrameRoundTrip") {
  FrameHeader written;
  std::string frame = MakeFrame({"a", "", "ccc"}, &written);
  FrameHeader read;
  std::string why;
  REQUIRE(ParseFrame(frame, 0, true, &read, &why) == FrameParse::kOk);
  CHECK(read.base_offset == 7);
  CHECK(read.event_count == 3);
  CHECK(read.checksum == written.checksum);
  CHECK(read.next_offset() == 10);
}

// A frame someone wrote with a header that contradicts its records (a buggy or hostile
// writer: the checksum covers both) is damaged, and the reason names the field that differs.
TEST_CASE("AChecksumValidFrameWhoseHeaderContradictsItsRecordsNamesTheField") {
  struct Case {
    const char* name;
    void (*edit)(FrameHeader*);
    const char* reason;
  };
  const Case cases[] = {
      {"event count", [](FrameHeader* h) { h->event_count = 3, h->last_offset_delta = 2; }, "frame body holds 2 event records, its header says 3"},
      {"last offset delta", [](FrameHeader* h) { h->last_offset_delta = 4; },
       "frame body's last offset delta is 1, its header says 4"},
      {"timestamp span", [](FrameHeader* h) { h->last_timestamp = h->first_timestamp + 9; },
       "frame body's last timestamp delta is 0, its header's timestamps span 9"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    FrameHeader h;
    const std::string frame = MakeFrame({"a", "b"}, &h, c.edit);
    FrameHeader read;
    std::string why;
    CHECK(ParseFrame(frame, 0, true, &read, &why) == FrameParse::kDamaged);
    CHECK(why == c.reason);
  }
}

TEST_CASE("EveryFlippedBitInAFrameIsDetected") {
  FrameHeader h;
  const std::string frame = MakeFrame({"hello", "world"}, &h);
  for (size_t bit = 0; bit < frame.size() * 8; ++bit) {
    std::string damaged = frame;
    damaged[bit / 8] = static_cast<char>(damaged[bit / 8] ^ (1 << (bit % 8)));
    FrameHeader out;
    std::string why;
    CAPTURE(bit);
    CHECK(ParseFrame(damaged, 0, true, &out, &why) != FrameParse::kOk);
  }
}

TEST_CASE("ZeroLengthWordMeansNoFrame") {
  std::string zeros(128, '\0');
  FrameHeader h;
  std::string why;
  CHECK(ParseFrame(zeros, 0, true, &h, &why) == FrameParse::kNoFrame);
}

TEST_CASE("FrameCutShortIsTruncatedNotInvalid") {
  FrameHeader h;
  const std::string frame = MakeFrame({"payload"}, &h);
  for (size_t len = 4; len < frame.size(); ++len) {
    FrameHeader out;
    std::string why;
    CAPTURE(len);
    CHECK(ParseFrame(frame.substr(0, len), 0, true, &out, &why) == FrameParse::kTruncated);
  }
}

TEST_CASE("EventRecordWithKeyHeadersAndBinaryPayload") {
  std::string payload;
  for (int c = 0; c < 256; ++c) payload.push_back(static_cast<char>(c));
  HeaderView headers[] = {{"h1", "v1"}, {"", ""}};
  std::string body;
  AppendEventRecord(&body, {.key = std::string_view(""), .headers = headers, .payload = payload}, 0, 5);
  CHECK(body.size() == EventRecordSize({.key = std::string_view(""), .headers = headers, .payload = payload}, 0, 5));
  const char* p = body.data();
  EventRecord r;
  std::vector<HeaderView> out;
  REQUIRE(DecodeEventRecord(&p, body.data() + body.size(), &r, &out));
  REQUIRE(r.key.has_value());
  CHECK(r.key->empty());
  CHECK(r.timestamp_delta == 5);
  REQUIRE(out.size() == 2);
  CHECK(out[0].name == "h1");
  CHECK(out[1].value.empty());
  CHECK(r.payload == payload);
}

}  // namespace eventlog
