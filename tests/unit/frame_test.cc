#include <doctest/doctest.h>

#include "format.h"
#include "frame.h"

namespace eventlog {
namespace {

namespace f = format::frame;

// A FULL frame holding `payloads`, placed at position 0 of the returned buffer.
std::string MakeFrame(const std::vector<std::string>& payloads, FrameHeader* h) {
  std::string body;
  uint64_t delta = 0;
  for (const std::string& p : payloads) AppendEventRecord(&body, {.payload = p}, delta++, 0);
  h->kind = f::kFull;
  h->base_offset = 7;
  h->event_count = static_cast<uint32_t>(payloads.size());
  h->last_offset_delta = h->event_count - 1;
  h->first_timestamp = h->last_timestamp = 1000;
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
