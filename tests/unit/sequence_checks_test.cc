// One set of sequence checks for every reader (format-spec §5.4, §5.6 checks 11-14, §6.4):
// each log below is built frame by frame, every frame checksum-valid, and breaks one rule.
// The Reader (tail, export, replay) and verify must both call it corruption.
#include <doctest/doctest.h>

#include <climits>
#include <map>

#include "eventlog/compaction.h"
#include "eventlog/verify.h"
#include "format.h"
#include "format_blocks.h"
#include "frame.h"
#include "segment.h"
#include "test_helpers.h"

namespace eventlog::test {
namespace {

namespace f = format::frame;

// Segments written by hand: Add() appends a checksum-valid frame to a segment, chained to
// the previous frame added; Write() stores the segments and a HEAD at the newest one's end.
class CraftedLog {
 public:
  explicit CraftedLog(TestLog& t) : t_(t) {
    auto header = DecodeSegmentHeader(t.Contents(t.SegmentPath(0)).substr(0, 64), "segment 0");
    REQUIRE(header.has_value());
    log_id_ = header->log_id;
  }

  // `timestamp` is the frame's first and last timestamp; `prev` overrides the chain.
  void Add(uint64_t segment, uint8_t kind, uint64_t offset, int64_t timestamp = 1000,
           std::optional<uint64_t> prev = std::nullopt) {
    std::string body;
    AppendEventRecord(&body, {.payload = "event-" + std::to_string(offset)}, 0, 0);
    FrameHeader h;
    h.kind = kind;
    h.base_offset = offset;
    h.event_count = (kind & f::kSkippableBit) ? 0 : 1;
    h.first_timestamp = h.last_timestamp = (kind & f::kSkippableBit) ? 0 : timestamp;
    h.prev_checksum = prev.value_or(last_checksum_);
    std::string frame(f::kHeaderSize, '\0');
    frame += body;
    frame.resize(format::AlignUp(frame.size()), '\0');
    EncodeFrameHeader(&h, body, frame.data());
    std::string& seg = segments_[segment];
    if (seg.empty()) seg = EncodeSegmentHeader({log_id_, segment, 0});
    seg += frame;
    last_checksum_ = h.checksum;
    if (h.has_events()) {
      next_offset_ = h.next_offset();
      last_timestamp_ = timestamp;
    }
  }
  void AddEmptySegment(uint64_t segment) { segments_[segment] = EncodeSegmentHeader({log_id_, segment, 0}); }

  // `head_end` overrides HEAD's committed end in the newest segment.
  void Write(std::optional<uint64_t> head_end = std::nullopt) {
    for (const auto& [base, bytes] : segments_) t_.SetContents(t_.SegmentPath(base), bytes);
    const auto& [newest, bytes] = *segments_.rbegin();
    HeadRecord head{7, newest, head_end.value_or(bytes.size()), next_offset_, last_timestamp_, last_checksum_};
    t_.SetContents(std::string(TestLog::kDir) + "/HEAD", EncodeHead(head, t_.id()));
    REQUIRE(t_.Reopen().ok());
  }

 private:
  TestLog& t_;
  LogId log_id_{};
  std::map<uint64_t, std::string> segments_;
  uint64_t last_checksum_ = 0;
  uint64_t next_offset_ = 0;
  int64_t last_timestamp_ = 0;
};

// The Reader refuses the log, naming `reason`, and so does verify.
void CheckBothReject(TestLog& t, const std::string& reason) {
  auto events = t.ReadAll();
  REQUIRE_FALSE(events.has_value());
  CHECK(events.status().code() == StatusCode::kCorruption);
  CHECK_MESSAGE(events.status().message().find(reason) != std::string::npos, events.status().message());
  auto report = VerifyLog(t.log());
  REQUIRE(report.has_value());
  REQUIRE(report->corrupt());
  bool named = false;
  for (const VerifyProblem& p : report->problems) named = named || p.message.find(reason) != std::string::npos;
  CHECK_MESSAGE(named, report->problems.front().message);
}

// Both read the log and find it clean.
void CheckBothAccept(TestLog& t, size_t events) {
  auto read = t.ReadAll();
  REQUIRE_MESSAGE(read.has_value(), read.status().message());
  CHECK(read->size() == events);
  auto report = VerifyLog(t.log());
  REQUIRE(report.has_value());
  const std::string first = report->problems.empty() ? "" : report->problems.front().message;
  CHECK_MESSAGE(report->clean(), first);
}

}  // namespace

TEST_CASE("AMiddleFrameAsASegmentsFirstFrameIsCorruption") {
  TestLog t;
  CraftedLog c(t);
  c.Add(0, f::kFull, 0);
  c.Add(2, f::kMiddle, 1);  // chains and continues the offsets: only its kind is wrong
  c.Add(2, f::kLast, 2);
  c.Write();
  CheckBothReject(t, "unexpected kind");
}

TEST_CASE("AClosedSegmentEndingInsideABatchIsCorruption") {
  TestLog t;
  CraftedLog c(t);
  c.Add(0, f::kFull, 0);
  c.Add(0, f::kFirst, 1);
  c.Add(0, f::kMiddle, 2);
  c.Add(3, f::kFull, 3);
  c.Write();
  CheckBothReject(t, "incomplete batch");
}

TEST_CASE("HeadsCommittedEndInsideABatchIsCorruption") {
  TestLog t;
  CraftedLog c(t);
  c.Add(0, f::kFull, 0);
  c.Add(0, f::kFirst, 1);
  c.Add(0, f::kLast, 2);
  // HEAD ends after the FIRST frame: the frames below it end inside a batch.
  const uint64_t after_first = format::segment::kHeaderSize + 2 * format::AlignUp(f::kHeaderSize + 10);
  c.Write(after_first);
  CheckBothReject(t, "incomplete batch");
}

TEST_CASE("ASkippableRecordInsideABatchIsCorruption") {
  TestLog t;
  CraftedLog c(t);
  c.Add(0, f::kFirst, 0);
  c.Add(0, f::kSkippableBit, 0);
  c.Add(0, f::kLast, 1);
  c.Write();
  CheckBothReject(t, "unexpected kind");
}

TEST_CASE("ASkippableRecordBetweenBatchesIsSkipped") {
  TestLog t;
  CraftedLog c(t);
  c.Add(0, f::kFull, 0);
  c.Add(0, f::kSkippableBit, 0);
  c.Add(0, f::kFirst, 1);
  c.Add(0, f::kLast, 2);
  c.Write();
  CheckBothAccept(t, 3);
}

TEST_CASE("ANonZeroPrevChecksumAtTheFirstFrameOfTheLogIsCorruption") {
  TestLog t;
  CraftedLog c(t);
  c.Add(0, f::kFull, 0, 1000, /*prev=*/0x1234);
  c.Add(0, f::kFull, 1);
  c.Write();
  CheckBothReject(t, "chain mismatch");
}

TEST_CASE("ANewestSegmentWhoseFirstFrameStartsAboveItsBaseIsCorruption") {
  TestLog t;
  CraftedLog c(t);
  c.Add(0, f::kFull, 0);
  c.Add(1, f::kFull, 5);  // the newest segment is never rewritten by key compaction
  c.Write();
  CheckBothReject(t, "offset out of sequence");
}

TEST_CASE("AClosedSegmentWhoseFirstFrameStartsAboveItsBaseIsKeyCompaction") {
  TestLog t;
  CraftedLog c(t);
  c.Add(0, f::kFull, 0);
  c.Add(1, f::kFull, 5);  // events 1..4 removed by key compaction: the chain still links
  c.Add(6, f::kFull, 6);
  c.Write();
  CheckBothAccept(t, 3);
}

TEST_CASE("ATimestampGoingBackwardsIsNamedAsSuch") {
  TestLog t;
  CraftedLog c(t);
  c.Add(0, f::kFull, 0, 2000);
  c.Add(0, f::kFull, 1, 1000);
  c.Write();
  CheckBothReject(t, "timestamp out of order");
}

TEST_CASE("PreEpochTimestampsAreLegal") {
  TestLog t;
  CraftedLog c(t);
  c.Add(0, f::kFull, 0, -5'000'000'000);  // 1969
  c.Add(0, f::kFull, 1, -1);
  c.Add(2, f::kFull, 2, 0);
  c.AddEmptySegment(3);
  c.Write();
  CheckBothAccept(t, 3);
  auto events = t.ReadAll();
  REQUIRE(events.has_value());
  CHECK(events->front().timestamp == -5'000'000'000);
}

// UBSan found signed overflow here: first + delta with a delta above INT64_MAX.
TEST_CASE("AFrameSpanningTheWholeTimestampRangeReadsBackExactly") {
  TestLog t;
  auto header = DecodeSegmentHeader(t.Contents(t.SegmentPath(0)).substr(0, 64), "segment 0");
  REQUIRE(header.has_value());
  std::string body;
  AppendEventRecord(&body, {.payload = "min"}, 0, 0);
  AppendEventRecord(&body, {.payload = "max"}, 1, UINT64_MAX);
  FrameHeader h{.kind = f::kFull, .base_offset = 0, .event_count = 2, .last_offset_delta = 1,
                .first_timestamp = INT64_MIN, .last_timestamp = INT64_MAX};
  std::string frame(f::kHeaderSize, '\0');
  frame += body;
  frame.resize(format::AlignUp(frame.size()), '\0');
  EncodeFrameHeader(&h, body, frame.data());
  const std::string segment = t.Contents(t.SegmentPath(0)) + frame;
  t.SetContents(t.SegmentPath(0), segment);
  t.SetContents(std::string(TestLog::kDir) + "/HEAD",
                EncodeHead({3, 0, segment.size(), 2, INT64_MAX, h.checksum}, t.id()));
  REQUIRE(t.Reopen().ok());
  auto events = t.ReadAll();
  REQUIRE_MESSAGE(events.has_value(), events.status().message());
  REQUIRE(events->size() == 2);
  CHECK((*events)[0].timestamp == INT64_MIN);
  CHECK((*events)[1].timestamp == INT64_MAX);
  auto reader = t.log().NewReader();
  REQUIRE(reader.has_value());
  REQUIRE((*reader)->SeekToTime(0).ok());
  CHECK((*reader)->position() == 1);
  auto report = VerifyLog(t.log());
  REQUIRE(report.has_value());
  CHECK(report->clean());
}

// Key compaction rewrites a closed segment as one new, valid batch: it must make the same
// checks first, or it would launder a sequence error into a segment that verifies.
TEST_CASE("KeyCompactionRefusesAClosedSegmentThatFailsTheSequenceChecks") {
  TestLog t;
  CraftedLog c(t);
  c.Add(0, f::kFull, 0);
  c.Add(0, f::kMiddle, 1);
  c.Add(0, f::kLast, 2);
  c.Add(3, f::kFull, 3);
  c.Write();
  const std::string before = t.Contents(t.SegmentPath(0));
  auto compacted = CompactLog(t.log(), {.keep_latest_per_key = true});
  REQUIRE_FALSE(compacted.has_value());
  CHECK(compacted.status().code() == StatusCode::kCorruption);
  CHECK(compacted.status().message().find("unexpected kind") != std::string::npos);
  CHECK(t.Contents(t.SegmentPath(0)) == before);
}

}  // namespace eventlog::test
