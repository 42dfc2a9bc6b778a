// SurvivorFrames (survivor_frames.h): how key compaction cuts the survivors of a segment
// into frames, so that a record never takes more bytes than it did in its source frame
// except where format-spec §5.6 check 13 forbids a frame to start after a gap.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "format.h"
#include "frame.h"
#include "survivor_frames.h"

namespace eventlog::test {
namespace {

constexpr int64_t kSecond = 1'000'000'000;

// The frames of TakeSegment(), parsed and checked as a reader checks them (§5.6 steps 1-10).
std::vector<FrameHeader> ParsedFrames(SurvivorFrames& frames) {
  const uint64_t size = frames.segment_bytes();
  const std::string header(format::segment::kHeaderSize, 'h');
  const std::string bytes = frames.TakeSegment(header, /*prev_checksum=*/0);
  REQUIRE(bytes.size() == size);
  CHECK(bytes.substr(0, header.size()) == header);
  std::vector<FrameHeader> out;
  for (uint64_t pos = format::segment::kHeaderSize; pos < bytes.size();) {
    FrameHeader h;
    std::string why;
    REQUIRE_MESSAGE(ParseFrame(bytes, pos, /*check_body=*/true, &h, &why) == FrameParse::kOk, why);
    CHECK(h.prev_checksum == (out.empty() ? 0 : out.back().checksum));
    out.push_back(h);
    pos += h.aligned_length();
  }
  return out;
}

void AddEach(SurvivorFrames& frames, const std::vector<uint64_t>& offsets, int64_t timestamp) {
  for (uint64_t offset : offsets) REQUIRE(frames.Add({.key = "k", .payload = "v"}, offset, timestamp).ok());
}

}  // namespace

TEST_CASE("EachSourceFrameStartsAFrameSoThatTimestampDeltasDoNotGrow") {
  SurvivorFrames frames;
  frames.BeginSourceFrame(/*starts_batch=*/true);
  AddEach(frames, {1, 2}, 0);  // offset 0 removed: the frame starts at the first survivor
  frames.BeginSourceFrame(/*starts_batch=*/true);
  AddEach(frames, {3, 5}, kSecond);
  std::vector<FrameHeader> h = ParsedFrames(frames);
  REQUIRE(h.size() == 2);
  CHECK(h[0].kind == format::frame::kFull);
  CHECK(h[0].base_offset == 1);
  CHECK(h[1].kind == format::frame::kFull);
  CHECK(h[1].base_offset == 3);
  CHECK(h[1].first_timestamp == kSecond);
  CHECK(h[1].last_offset_delta == 2);  // the gap at offset 4 lies inside the frame
}

TEST_CASE("AfterAGapAtASourceFrameBoundaryItsSurvivorsJoinTheFrameBeforeUntilTwoFollowEachOther") {
  SurvivorFrames frames;
  frames.BeginSourceFrame(/*starts_batch=*/true);
  AddEach(frames, {0, 1}, 0);
  frames.BeginSourceFrame(/*starts_batch=*/true);
  AddEach(frames, {3, 5, 6, 7}, kSecond);  // offsets 2 and 4 removed
  std::vector<FrameHeader> h = ParsedFrames(frames);
  REQUIRE(h.size() == 2);
  CHECK(h[0].base_offset == 0);
  CHECK(h[0].last_offset_delta == 5);
  CHECK(h[1].base_offset == 6);
  CHECK(h[1].first_timestamp == kSecond);
  // The first frame holds events of both source batches, so they become one batch.
  CHECK(h[0].kind == format::frame::kFirst);
  CHECK(h[1].kind == format::frame::kLast);
}

TEST_CASE("FramesOfOneSourceBatchStayOneBatch") {
  SurvivorFrames frames;
  frames.BeginSourceFrame(/*starts_batch=*/true);
  AddEach(frames, {0}, 0);
  frames.BeginSourceFrame(/*starts_batch=*/false);
  AddEach(frames, {1}, 0);
  frames.BeginSourceFrame(/*starts_batch=*/false);
  AddEach(frames, {2}, 0);
  frames.BeginSourceFrame(/*starts_batch=*/true);
  AddEach(frames, {3}, kSecond);
  std::vector<FrameHeader> h = ParsedFrames(frames);
  REQUIRE(h.size() == 4);
  CHECK(h[0].kind == format::frame::kFirst);
  CHECK(h[1].kind == format::frame::kMiddle);
  CHECK(h[2].kind == format::frame::kLast);
  CHECK(h[3].kind == format::frame::kFull);
}

TEST_CASE("AFrameIsSplitAtItsBodyLimitOnlyWhereOffsetsFollowEachOther") {
  SurvivorFrames frames(/*frame_body_bytes=*/10);
  frames.BeginSourceFrame(/*starts_batch=*/true);
  AddEach(frames, {0, 2, 4, 5}, 0);  // records of 7 bytes: the gaps keep 0..4 together
  std::vector<FrameHeader> h = ParsedFrames(frames);
  REQUIRE(h.size() == 2);
  CHECK(h[0].event_count == 3);
  CHECK(h[1].base_offset == 5);
}

TEST_CASE("ASurvivorBeyondTheLargestOffsetSpanOfAFrameAfterAGapCannotBeEncoded") {
  SurvivorFrames frames;
  frames.BeginSourceFrame(/*starts_batch=*/true);
  AddEach(frames, {0}, 0);
  Status added = frames.Add({.payload = "far"}, uint64_t{1} << 32, 0);
  CHECK(added.code() == StatusCode::kInvalidArgument);
  CHECK(added.message().find("2^32 - 1 offsets") != std::string::npos);
}

}  // namespace eventlog::test
