// Recovery rules of format-spec §8: torn tails are cut back to the last complete batch,
// damage to committed data is reported, never silently truncated.
#include <doctest/doctest.h>

#include <algorithm>

#include "format.h"
#include "test_helpers.h"

namespace eventlog::test {
namespace {

constexpr uint64_t kSegmentBytes = 1 << 20;

// Appends a mix of single events and multi-frame atomic batches (small frames, so that a
// FIRST..LAST group fits in a few hundred bytes); returns, per batch, the payloads and the
// segment size after it.
struct Written {
  std::vector<std::vector<std::string>> batches;
  std::vector<uint64_t> ends;
};

Written WriteMixedBatches(TestLog& t) {
  Written w;
  auto add = [&](std::vector<std::string> payloads) {
    Batch batch(1000, kSegmentBytes, "/tmp", /*frame_body_bytes=*/40);
    for (const std::string& p : payloads) REQUIRE(batch.Add({.payload = p}).ok());
    REQUIRE(t.log().Append(batch).has_value());
    w.batches.push_back(payloads);
    w.ends.push_back(t.Contents(t.SegmentPath(0)).size());
  };
  add({"solo"});
  add(Numbered("group-a-", 0, 6));  // several frames: FIRST, MIDDLE..., LAST
  add({""});
  add({std::string(100, 'x')});
  add(Numbered("group-b-", 0, 4));
  return w;
}

// The payloads of every batch that ends at or before `length`.
std::vector<std::string> CompleteBatchesWithin(const Written& w, uint64_t length) {
  std::vector<std::string> out;
  for (size_t i = 0; i < w.batches.size() && w.ends[i] <= length; ++i) {
    out.insert(out.end(), w.batches[i].begin(), w.batches[i].end());
  }
  return out;
}

}  // namespace

TEST_CASE("TruncationAtEveryByteRecoversExactlyTheCompleteBatches") {
  TestLog t({.segment_bytes = kSegmentBytes});
  const Written w = WriteMixedBatches(t);
  const std::string segment = t.Contents(t.SegmentPath(0));
  REQUIRE(segment.size() == w.ends.back());
  for (uint64_t length = format::segment::kHeaderSize; length <= segment.size(); ++length) {
    CAPTURE(length);
    // A crash before HEAD was ever written for the lost batches: HEAD does not verify, so
    // recovery has only the segment to go by.
    t.SetContents(t.SegmentPath(0), segment.substr(0, length));
    t.SetContents(HeadPath(), std::string(64, '\0'));
    REQUIRE(t.Reopen().ok());
    Status recovered = t.log().Recover();
    REQUIRE_MESSAGE(recovered.ok(), recovered.message());
    const std::vector<std::string> expected = CompleteBatchesWithin(w, length);
    CHECK(t.Payloads() == expected);
    bool at_boundary = length == format::segment::kHeaderSize ||
                       std::find(w.ends.begin(), w.ends.end(), length) != w.ends.end();
    CHECK(t.log().recovery_notes().empty() == at_boundary);
    // The log stays appendable after the cut, at the next offset.
    auto appended = t.Append({"next"});
    REQUIRE(appended.has_value());
    CHECK(appended->first_offset == expected.size());
  }
}

TEST_CASE("TornTailBeyondTheCommittedEndIsCutAndReported") {
  TestLog t;
  REQUIRE(t.Append({"a", "b"}).has_value());
  std::string segment = t.Contents(t.SegmentPath(0));
  const uint64_t committed = segment.size();
  t.SetContents(t.SegmentPath(0), segment + std::string("\x50\x00\x00\x00\xb1\xe7\x01\x01garbage", 15));
  REQUIRE(t.Reopen().ok());
  REQUIRE(t.log().Recover().ok());
  REQUIRE(t.log().recovery_notes().size() == 1);
  CHECK(t.log().recovery_notes()[0].find("torn tail of 15 bytes") != std::string::npos);
  CHECK(t.Contents(t.SegmentPath(0)).size() == committed);
  CHECK(t.Payloads() == std::vector<std::string>{"a", "b"});
}

TEST_CASE("DamagedFrameFollowedByAValidFrameIsCorruptionNotATornTail") {
  TestLog t;
  for (int i = 0; i < 5; ++i) REQUIRE(t.Append({"event" + std::to_string(i)}).has_value());
  const std::string before = t.Contents(t.SegmentPath(0));
  // Damage the second frame and make HEAD unusable, as after a crash.
  t.FlipBit(t.SegmentPath(0), (format::segment::kHeaderSize + 80 + 70) * 8);
  t.SetContents(HeadPath(), std::string(64, '\0'));
  REQUIRE(t.Reopen().ok());
  Status s = t.log().Recover();
  CHECK(s.code() == StatusCode::kCorruption);
  CHECK(s.message().find("00000000000000000000.seg") != std::string::npos);
  CHECK(s.message().find("checksum-valid frames") != std::string::npos);
  CHECK(s.message().find("offset 1") != std::string::npos);
  CHECK(t.Contents(t.SegmentPath(0)).size() == before.size());  // nothing was cut
}

TEST_CASE("AFlippedBitAnywhereInCommittedDataIsDetected") {
  TestLog t({.segment_bytes = kSegmentBytes});
  WriteMixedBatches(t);
  const std::string segment = t.Contents(t.SegmentPath(0));
  for (uint64_t bit = 0; bit < segment.size() * 8; ++bit) {
    CAPTURE(bit);
    t.SetContents(t.SegmentPath(0), segment);
    t.FlipBit(t.SegmentPath(0), bit);
    Status open = t.Reopen();
    if (!open.ok()) {
      CHECK(open.code() == StatusCode::kCorruption);
      continue;
    }
    auto events = t.ReadAll();
    REQUIRE_FALSE(events.has_value());
    CHECK(events.status().code() == StatusCode::kCorruption);
    CHECK(events.status().message().find("segment 00000000000000000000.seg") != std::string::npos);
  }
}

TEST_CASE("SegmentShorterThanItsCommittedEndIsCorruption") {
  TestLog t;
  REQUIRE(t.Append({"a", "b", "c"}).has_value());
  std::string segment = t.Contents(t.SegmentPath(0));
  t.SetContents(t.SegmentPath(0), segment.substr(0, segment.size() - 8));
  REQUIRE(t.Reopen().ok());
  CHECK(t.log().Recover().code() == StatusCode::kCorruption);
  CHECK(t.ReadAll().status().code() == StatusCode::kCorruption);
}

TEST_CASE("ForeignOrDamagedMetaIsRefused") {
  TestLog t;
  t.FlipBit(std::string(TestLog::kDir) + "/META", 100);
  Status s = t.Reopen();
  CHECK(s.code() == StatusCode::kCorruption);
  CHECK(s.message().find("META") != std::string::npos);
}

}  // namespace eventlog::test

namespace eventlog::test {

TEST_CASE("AFrameReplacedByAnotherValidFrameBreaksTheChain") {
  TestLog t;
  for (int i = 0; i < 5; ++i) REQUIRE(t.Append({"event" + std::to_string(i)}).has_value());
  std::string segment = t.Contents(t.SegmentPath(0));
  const size_t frame = (segment.size() - format::segment::kHeaderSize) / 5;  // equal-sized frames
  const size_t second = format::segment::kHeaderSize + frame, third = second + frame;
  segment.replace(third, frame, segment.substr(second, frame));  // each frame verifies alone
  t.SetContents(t.SegmentPath(0), segment);
  REQUIRE(t.Reopen().ok());
  auto events = t.ReadAll();
  REQUIRE_FALSE(events.has_value());
  CHECK(events.status().code() == StatusCode::kCorruption);
  CHECK(events.status().message().find("chain") != std::string::npos);
}

}  // namespace eventlog::test
