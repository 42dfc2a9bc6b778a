// One test per place where format-spec/format.md was ambiguous or disagreed with the vectors
// (issue 7, "The spec"): each checks that the code does what the spec now says.
#include <doctest/doctest.h>

#include <cstring>

#include "compaction_test_helpers.h"
#include "eventlog/verify.h"
#include "format.h"
#include "format_blocks.h"
#include "hash.h"
#include "log_impl.h"
#include "segment.h"

namespace eventlog::test {
namespace {

const std::string kMeta = std::string(TestLog::kDir) + "/META";
const std::string kHead = std::string(TestLog::kDir) + "/HEAD";

void PutU32(std::string* block, size_t at, uint32_t v) { std::memcpy(block->data() + at, &v, sizeof v); }
void PutU64(std::string* block, size_t at, uint64_t v) { std::memcpy(block->data() + at, &v, sizeof v); }
void Reseal(std::string* block) { PutU64(block, format::kBlockChecksumAt, BlockChecksum(block->data())); }

std::string OpenError(TestLog& t) {
  Status s = t.Reopen();
  REQUIRE(!s.ok());
  CHECK(s.code() == StatusCode::kCorruption);
  return s.message();
}

HeadRecord Head(TestLog& t) {
  HeadRecord head;
  REQUIRE(DecodeHead(t.Contents(kHead), t.id(), &head));
  return head;
}

void Put(TestLog& t, std::optional<std::string_view> key, std::string_view payload) {
  Batch batch = t.log().NewBatch();
  REQUIRE(batch.Add({.key = key, .payload = payload}).ok());
  REQUIRE(t.log().Append(batch).has_value());
}

std::vector<std::string> Problems(TestLog& t) {
  auto report = VerifyLog(t.log());
  REQUIRE_MESSAGE(report.has_value(), report.status().message());
  std::vector<std::string> out;
  for (const VerifyProblem& p : report->problems) out.push_back(p.file + ": " + p.message);
  return out;
}

}  // namespace

// §3: size, magic, checksum (corruption), then version and flags (unsupported), then limits.
TEST_CASE("MetaIsCheckedInTheOrderOfSection3") {
  TestLog t;
  const std::string meta = t.Contents(kMeta);
  SUBCASE("a checksum-valid later version is unsupported, whatever its limits say") {
    std::string m = meta;
    PutU32(&m, format::meta::kVersionAt, 2);
    PutU64(&m, format::meta::kSegmentBytesAt, 1);
    Reseal(&m);
    t.SetContents(kMeta, m);
    CHECK(OpenError(t).find("unsupported") != std::string::npos);
  }
  SUBCASE("a later version that fails its checksum is corruption, not unsupported") {
    std::string m = meta;
    PutU32(&m, format::meta::kVersionAt, 2);
    t.SetContents(kMeta, m);
    std::string error = OpenError(t);
    CHECK(error.find("checksum mismatch") != std::string::npos);
    CHECK(error.find("unsupported") == std::string::npos);
  }
  SUBCASE("META must be exactly 64 bytes") {
    t.SetContents(kMeta, meta + "x");
    CHECK(OpenError(t).find("is 65 bytes") != std::string::npos);
  }
}

// §4.1: version and flags come before log_id and base_offset.
TEST_CASE("ASegmentHeaderOfALaterVersionIsUnsupportedBeforeItsOtherFieldsAreChecked") {
  TestLog t;
  REQUIRE(t.Append({"a"}).has_value());
  std::string seg = t.Contents(t.SegmentPath(0));
  std::string header = seg.substr(0, format::kBlockSize);
  PutU32(&header, format::segment::kFlagsAt, 1);
  PutU64(&header, format::segment::kBaseOffsetAt, 77);
  Reseal(&header);
  t.SetContents(t.SegmentPath(0), header + seg.substr(format::kBlockSize));
  auto events = t.ReadAll();
  REQUIRE(!events.has_value());
  CHECK(events.error().message().find("unsupported flags 0x1") != std::string::npos);
}

// §5.6 (gaps) and §6.1: an expired tombstone removed from the end of the last closed segment,
// followed by an active segment without frames, is a legal state; HEAD's last_checksum links
// the gap. With a HEAD that does not link it, the gap is a missing segment.
TEST_CASE("AGapBeforeAFramelessActiveSegmentIsLinkedByHeadsLastChecksum") {
  TestLog t({.segment_bytes = 4096});
  Put(t, "a", "v1");
  Put(t, "a", "v2");
  Put(t, "t", "");  // a tombstone, the last event of segment 0
  // A roll whose first batch never came: the active segment holds only its header (§6.3).
  HeadRecord head = Head(t);
  REQUIRE(head.next_offset == 3);
  t.SetContents(t.SegmentPath(3), EncodeSegmentHeader({t.log().impl()->meta().log_id, 3, 0}));
  head.sequence += 1;
  head.segment_base = 3;
  head.committed_end = format::segment::kHeaderSize;
  t.SetContents(kHead, EncodeHead(head, t.id()));
  REQUIRE(t.Reopen().ok());
  CompactionReport r = Compact(t, {.keep_latest_per_key = true, .tombstone_retention_ns = 0});
  REQUIRE(r.keys->tombstones_removed == 1);
  REQUIRE(Offsets(t) == std::vector<uint64_t>{1});  // segment 0 now ends at offset 2; 3 is next

  CHECK(Problems(t).empty());
  SUBCASE("a HEAD naming another newest frame makes the gap a missing segment") {
    head.last_checksum ^= 1;
    t.SetContents(kHead, EncodeHead(head, t.id()));
    std::vector<std::string> problems = Problems(t);
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].find("a segment is missing (00000000000000000002.seg, offsets 2..2)") != std::string::npos);
  }
}

// §4.2: an active segment longer than segment_bytes is corruption, never a torn tail.
TEST_CASE("VerifyReportsAnActiveSegmentBeyondSegmentBytesAsCorruption") {
  TestLog t({.segment_bytes = 4096});
  REQUIRE(t.Append({"a"}).has_value());
  t.SetContents(t.SegmentPath(0), t.Contents(t.SegmentPath(0)) + std::string(8192, '\0'));
  auto report = VerifyLog(t.log());
  REQUIRE(report.has_value());
  REQUIRE(report->corrupt());
  CHECK(report->problems[0].message.find("more than the log's segment size of 4096 bytes") != std::string::npos);
}

// §6.4: with HEAD invalid the newest segment is the active one and every older segment is
// closed: a reader returns the events of both.
TEST_CASE("WithHeadInvalidTheNewestSegmentIsActive") {
  TestLog t({.segment_bytes = 4096});
  std::vector<uint64_t> segments = FillSegments(t, 2);
  const std::vector<uint64_t> offsets = Offsets(t);
  REQUIRE(offsets.back() >= segments.back());  // the newest segment holds events
  t.SetContents(kHead, std::string(format::kBlockSize, '\x5a'));
  REQUIRE(t.Reopen().ok());
  CHECK(Offsets(t) == offsets);
}

// §6.4: readers take only segment_base and committed_end from HEAD; verify compares
// next_offset with the frames.
TEST_CASE("ReadersDoNotCrossCheckHeadsOtherFieldsButVerifyReportsNextOffset") {
  TestLog t;
  REQUIRE(t.Append({"a", "b"}).has_value());
  HeadRecord head = Head(t);
  head.next_offset += 5;
  head.last_timestamp -= 1000;
  head.last_checksum ^= 1;
  t.SetContents(kHead, EncodeHead(head, t.id()));
  REQUIRE(t.Reopen().ok());
  CHECK(t.Payloads() == std::vector<std::string>{"a", "b"});
  std::vector<std::string> problems = Problems(t);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0] == "HEAD: HEAD says the next offset is 7, the segments end at 2");
}

}  // namespace eventlog::test
