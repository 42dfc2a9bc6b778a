// Review findings: crash-safety and robustness problems in libeventlog, each stated as the
// behaviour format-spec requires. These tests fail against the code as reviewed.
#include <doctest/doctest.h>

#include <climits>
#include <string>

#include "coding.h"
#include "format.h"
#include "format_blocks.h"
#include "frame.h"
#include "hash.h"
#include "test_helpers.h"

namespace eventlog::test {
namespace {

// Recomputes the checksum of the frame at `pos` after its header bytes were edited.
void ResealFrame(std::string* segment, size_t pos) {
  const uint32_t length = GetFixed32(segment->data() + pos);
  StreamingChecksum sum;
  sum.Update(std::string_view(segment->data() + pos, format::frame::kChecksumAt));
  sum.Update(std::string_view(segment->data() + pos + format::frame::kHeaderSize, length - format::frame::kHeaderSize));
  PutFixed64(segment->data() + pos + format::frame::kChecksumAt, sum.Digest());
}

// A complete frame (header, body, padding) built by hand.
std::string MakeFrame(FrameHeader* h, const std::string& body) {
  std::string out(format::frame::kHeaderSize, '\0');
  out += body;
  out.resize(format::AlignUp(out.size()), '\0');
  EncodeFrameHeader(h, body, out.data());
  return out;
}

}  // namespace

// §6.3 step 1 / §6.6: "Rolling always syncs" — a roll must fdatasync the segment it closes
// even when this process did not write its tail itself (a sync=none append by a process that
// then died, or by another process). log_writer.cc Roll() skips the sync whenever
// tail_ == published_ && !unsynced_, and unsynced_ is per process.
TEST_CASE("RollSyncsTheClosedSegmentEvenIfAnotherProcessPublishedItWithoutSync") {
  TestLog t({.segment_bytes = 4096});
  const std::string big(3900, 'x');  // does not fit behind the first frame: forces a roll
  SUBCASE("the sync=none process was killed, a new process rolls") {
    REQUIRE(t.Append({"unsynced"}, {.sync = false}).has_value());
    REQUIRE(t.Reopen().ok());  // kill -9: the bytes stay in the page cache
    REQUIRE(t.Append({big}).has_value());
  }
  SUBCASE("a concurrent sync=none process, then a syncing process rolls") {
    REQUIRE(t.Append({"first"}).has_value());  // process A has recovered and is live
    auto other = Log::Open(TestLog::kDir, {.fs = &t.fs()});
    REQUIRE(other.has_value());
    Batch batch = (*other)->NewBatch();
    REQUIRE(batch.Add({.payload = "unsynced"}).ok());
    REQUIRE((*other)->Append(batch, {.sync = false}).has_value());
    REQUIRE(t.Append({big}).has_value());  // process A adopts HEAD and rolls
  }
  const std::vector<std::string> before = t.Payloads();
  t.fs().SimulatePowerLoss();
  REQUIRE(t.Reopen().ok());
  Status recovered = t.log().Recover();
  // The big event was acknowledged with sync=true and the roll synced segment 0: nothing
  // may be lost, and the log must open.
  REQUIRE_MESSAGE(recovered.ok(), recovered.message());
  CHECK(t.Payloads() == before);
}

// §8.3: "A frame at p that is checksum-valid but unsupported (step 6) fails the open as
// unsupported; it is never cut." ParseFrame rejects version != 1 before the checksum as
// kInvalid, and ValidFrameAfter never counts it, so recovery truncates it as a torn tail.
TEST_CASE("RecoveryNeverCutsAChecksumValidFrameOfANewerVersion") {
  TestLog t;
  REQUIRE(t.Append({"acked-1"}).has_value());
  const std::string head_after_first = t.Contents(HeadPath());
  const size_t second = t.Contents(t.SegmentPath(0)).size();
  REQUIRE(t.Append({"written-by-v2"}).has_value());
  std::string segment = t.Contents(t.SegmentPath(0));
  segment[second + format::frame::kVersionAt] = 2;  // a frame written by a later version
  ResealFrame(&segment, second);
  t.SetContents(t.SegmentPath(0), segment);
  t.SetContents(HeadPath(), head_after_first);  // its HEAD rewrite (never fsynced) was lost
  REQUIRE(t.Reopen().ok());
  Status s = t.log().Recover();
  CHECK_FALSE(s.ok());
  CHECK(s.message().find("unsupported") != std::string::npos);
  CHECK(t.Contents(t.SegmentPath(0)) == segment);  // MUST NOT modify the log (§9.1, §10.2)
}

// §8.3: "if the frame at p is checksum-valid (it failed a later step) ... the open fails with
// corruption ... It MUST NOT be truncated silently." A checksum-valid frame whose padding
// (not covered by the checksum) is damaged fails step 7; recovery instead cuts it as a torn
// tail, silently dropping an acknowledged (synced) event whose HEAD rewrite was lost.
TEST_CASE("ChecksumValidFrameWithBadPaddingAboveHeadIsCorruptionNotATornTail") {
  TestLog t;
  REQUIRE(t.Append({"acked-1"}).has_value());
  const std::string head_after_first = t.Contents(HeadPath());
  const size_t second = t.Contents(t.SegmentPath(0)).size();
  REQUIRE(t.Append({"acked-2"}).has_value());  // acknowledged: synced before HEAD
  std::string segment = t.Contents(t.SegmentPath(0));
  const uint32_t length = GetFixed32(segment.data() + second);
  REQUIRE(format::AlignUp(length) > length);  // the frame has padding
  segment[second + length] = 1;               // one damaged padding byte
  t.SetContents(t.SegmentPath(0), segment);
  t.SetContents(HeadPath(), head_after_first);  // power loss: HEAD is never fsynced
  REQUIRE(t.Reopen().ok());
  Status s = t.log().Recover();
  CHECK(s.code() == StatusCode::kCorruption);
  CHECK(t.Contents(t.SegmentPath(0)).size() == segment.size());  // nothing was cut
}

// §5.2 / §9.2: the frame header's reserved field (at 44) is "written as 0; ignored by
// readers" so that later versions can give it a meaning. frame.cc rejects nonzero values.
TEST_CASE("FrameWithNonzeroReservedFieldIsReadable") {
  TestLog t;
  REQUIRE(t.Append({"a"}).has_value());
  std::string segment = t.Contents(t.SegmentPath(0));
  PutFixed32(segment.data() + format::segment::kHeaderSize + format::frame::kReservedAt, 7);
  ResealFrame(&segment, format::segment::kHeaderSize);
  t.SetContents(t.SegmentPath(0), segment);
  // HEAD's last_checksum must follow the resealed frame.
  HeadRecord head;
  REQUIRE(DecodeHead(t.Contents(HeadPath()), t.id(), &head));
  head.last_checksum = GetFixed64(segment.data() + format::segment::kHeaderSize + format::frame::kChecksumAt);
  t.SetContents(HeadPath(), EncodeHead(head, t.id()));
  REQUIRE(t.Reopen().ok());
  auto events = t.ReadAll();
  REQUIRE_MESSAGE(events.has_value(), events.status().message());
  CHECK(events->size() == 1);
}

// §5.4: a skippable record (kind 0x80..0xFF) is verified (steps 1-8), chained, and
// otherwise skipped, "ignoring their other header fields"; it "does not change the expected
// base offset or timestamp of the next data frame". segment_scan.cc ContinuesLog applies
// the timestamp check (14) to it, so recovery reports a valid log as corrupt.
TEST_CASE("RecoveryKeepsASkippableRecordWhateverItsTimestampFields") {
  TestLog t;
  REQUIRE(t.Append({"a"}).has_value());
  std::string segment = t.Contents(t.SegmentPath(0));
  FrameHeader h;
  h.kind = 0x80;
  h.prev_checksum = GetFixed64(segment.data() + format::segment::kHeaderSize + format::frame::kChecksumAt);
  segment += MakeFrame(&h, "future");  // timestamps 0: to be ignored by a v1 reader
  t.SetContents(t.SegmentPath(0), segment);  // written and synced; HEAD rewrite lost
  REQUIRE(t.Reopen().ok());
  Status s = t.log().Recover();
  REQUIRE_MESSAGE(s.ok(), s.message());
  REQUIRE(t.Append({"b"}).has_value());
  CHECK(t.Payloads() == std::vector<std::string>{"a", "b"});
}

// §5.6 step 10 and §6.4 ("Frames MUST tile [64, limit) exactly, each valid"): a frame
// whose checksum matches but whose records contradict its header is corruption. The reader
// checks only the checksum (ParseFrame(check_body=false)) and then trusts every record:
// it returns events the header does not account for and, with an out-of-range
// timestamp_delta, computes first_timestamp + delta with signed overflow (UB).
TEST_CASE("ReaderRejectsAChecksumValidFrameWhoseRecordsContradictItsHeader") {
  TestLog t;
  const std::string seg_header = t.Contents(t.SegmentPath(0)).substr(0, format::segment::kHeaderSize);
  FrameHeader h;
  h.kind = format::frame::kFull;
  h.base_offset = 0;
  h.event_count = 1;
  h.last_offset_delta = 0;
  std::string body;
  SUBCASE("more records than event_count") {
    h.first_timestamp = h.last_timestamp = 1000;
    AppendEventRecord(&body, {.payload = "one"}, 0, 0);
    AppendEventRecord(&body, {.payload = "smuggled"}, 1, 0);
  }
  SUBCASE("timestamp_delta beyond last_timestamp overflows") {
    h.first_timestamp = INT64_MAX - 5;
    h.last_timestamp = INT64_MAX;
    AppendEventRecord(&body, {.payload = "one"}, 0, 100);
  }
  const std::string frame = MakeFrame(&h, body);
  t.SetContents(t.SegmentPath(0), seg_header + frame);
  const HeadRecord head{5, 0, format::segment::kHeaderSize + frame.size(), 1, h.last_timestamp, h.checksum};
  t.SetContents(HeadPath(), EncodeHead(head, t.id()));
  REQUIRE(t.Reopen().ok());
  auto events = t.ReadAll();
  REQUIRE_FALSE(events.has_value());
  CHECK(events.status().code() == StatusCode::kCorruption);
}

}  // namespace eventlog::test
