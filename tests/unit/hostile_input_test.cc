// Never trust bytes from disk: segments made of random bytes, or of real frames with random
// damage, must give a clean error or a clean result from recovery, the reader and verify:
// never a crash, a hang or a huge allocation (the suite also runs under ASan and UBSan).
#include <doctest/doctest.h>

#include <random>

#include "eventlog/verify.h"
#include "format.h"
#include "format_blocks.h"
#include "test_helpers.h"

namespace eventlog::test {
namespace {

// Exercises every consumer of the segment bytes; only the absence of crashes is asserted,
// plus that whatever the reader returns is in offset order.
void ReadEverythingSomehow(TestLog& t) {
  if (!t.Reopen().ok()) return;
  (void)t.log().Recover();
  if (auto events = t.ReadAll()) {
    for (size_t i = 1; i < events->size(); ++i) CHECK((*events)[i].offset > (*events)[i - 1].offset);
  }
  (void)VerifyLog(t.log());
  if (auto reader = t.log().NewReader()) {
    (void)(*reader)->SeekToOffset(3);
    (void)(*reader)->SeekToTime(1);
  }
}

}  // namespace

TEST_CASE("RandomAndRandomlyDamagedSegmentsNeverCrashRecoveryReadersOrVerify") {
  const uint32_t seed = 20261129;
  MESSAGE("seed " << seed);
  std::mt19937 random(seed);
  TestLog t({.segment_bytes = 1 << 16});
  for (int i = 0; i < 40; ++i) REQUIRE(t.Append({std::string(random() % 300, 'p')}).has_value());
  const std::string good = t.Contents(t.SegmentPath(0));
  const std::string head = t.Contents(std::string(TestLog::kDir) + "/HEAD");
  for (int round = 0; round < 400; ++round) {
    CAPTURE(round);
    std::string segment = good;
    const int mode = round % 4;
    if (mode == 0) {  // random garbage after a valid header
      for (size_t i = format::segment::kHeaderSize; i < segment.size(); ++i) segment[i] = static_cast<char>(random());
    } else if (mode == 1) {  // a few random bytes anywhere, including lengths and counts
      for (int n = 0; n < 4; ++n) segment[random() % segment.size()] = static_cast<char>(random());
    } else if (mode == 2) {  // a huge frame length or header count where a real one was
      const size_t at = format::segment::kHeaderSize;
      segment[at + 3] = static_cast<char>(0x7f);
      segment[at + format::frame::kHeaderSize + 5] = static_cast<char>(0xff);
    } else {  // cut anywhere, then pad with zeros or garbage
      segment.resize(random() % segment.size());
      segment.append(random() % 200, random() % 2 ? '\0' : static_cast<char>(random()));
    }
    t.SetContents(t.SegmentPath(0), segment);
    t.SetContents(std::string(TestLog::kDir) + "/HEAD", round % 3 == 0 ? std::string(64, '\0') : head);
    ReadEverythingSomehow(t);
  }
}

// A HEAD with a valid checksum whose next offset falls short of the frames below its
// committed end (crafted, or written by a buggy writer): readers, and through them export
// and tail, would stop short without a word. The frame past HEAD's next offset is refused.
TEST_CASE("AReaderRefusesAHeadWhoseNextOffsetFallsShortOfItsFrames") {
  TestLog t;
  for (int i = 0; i < 3; ++i) REQUIRE(t.Append({"e" + std::to_string(i)}).has_value());
  HeadRecord head;
  REQUIRE(DecodeHead(t.Contents(HeadPath()), t.id(), &head));
  REQUIRE(head.next_offset == 3);
  head.next_offset = 2;  // committed_end and last_checksum stay right
  ++head.sequence;
  t.SetContents(HeadPath(), EncodeHead(head, t.id()));
  REQUIRE(t.Reopen().ok());
  auto events = t.ReadAll();
  REQUIRE_FALSE(events.has_value());
  CHECK(events.status().code() == StatusCode::kCorruption);
  CHECK(events.status().message().find("HEAD says the log's next offset is 2") != std::string::npos);
}

}  // namespace eventlog::test
