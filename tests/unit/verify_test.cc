#include <doctest/doctest.h>
#include <fmt/format.h>

#include "eventlog/repair.h"
#include "eventlog/verify.h"
#include "format.h"
#include "segment.h"
#include "test_helpers.h"

namespace eventlog::test {
namespace {

VerifyReport Verify(TestLog& t) {
  auto report = VerifyLog(t.log());
  REQUIRE_MESSAGE(report.has_value(), report.status().message());
  return *report;
}

void FillSegments(TestLog& t) {
  for (int i = 0; i < 120; ++i) REQUIRE(t.Append({std::string(150, 'a' + i % 26)}).has_value());
}

}  // namespace

TEST_CASE("VerifyOfAHealthyLogFindsNothingAndCountsEverything") {
  TestLog t({.segment_bytes = 8192});
  FillSegments(t);
  VerifyReport r = Verify(t);
  CHECK(r.clean());
  CHECK(r.events == 120);
  CHECK(r.frames == 120);
  CHECK(r.segments > 2);
}

TEST_CASE("VerifyReportsAFlippedBitWithSegmentAndPosition") {
  TestLog t({.segment_bytes = 8192});
  FillSegments(t);
  t.FlipBit(t.SegmentPath(0), (format::segment::kHeaderSize + 300) * 8 + 3);
  VerifyReport r = Verify(t);
  REQUIRE(r.corrupt());
  CHECK(r.problems[0].file == SegmentFileName(0));
  CHECK(r.problems[0].position <= format::segment::kHeaderSize + 300);
  CHECK(r.problems[0].message.find("checksum mismatch") != std::string::npos);
}

TEST_CASE("VerifyReportsADamagedSegmentHeader") {
  TestLog t({.segment_bytes = 8192});
  FillSegments(t);
  t.FlipBit(t.SegmentPath(0), 20 * 8);
  VerifyReport r = Verify(t);
  REQUIRE(r.corrupt());
  CHECK(r.problems[0].message.find("segment header") != std::string::npos);
}

TEST_CASE("VerifyReportsAMissingSegment") {
  TestLog t({.segment_bytes = 8192});
  FillSegments(t);
  auto segments = ListSegments(&t.fs(), TestLog::kDir);
  REQUIRE(segments.has_value());
  REQUIRE(segments->size() > 2);
  REQUIRE(t.fs().Remove(t.SegmentPath((*segments)[1])).ok());
  VerifyReport r = Verify(t);
  REQUIRE(r.corrupt());
  CHECK(r.problems[0].message.find("a segment is missing") != std::string::npos);
  CHECK(r.problems[0].message.find(SegmentFileName((*segments)[1])) != std::string::npos);  // names it
}

// Found by the hostile-files generator: with the newest segment deleted, verify said only
// that HEAD's next offset disagreed with the segments; it now names the missing file, as the
// other commands do.
TEST_CASE("VerifyNamesAMissingActiveSegment") {
  TestLog t({.segment_bytes = 8192});
  FillSegments(t);
  auto segments = ListSegments(&t.fs(), TestLog::kDir);
  REQUIRE(segments.has_value());
  REQUIRE(segments->size() > 2);
  REQUIRE(t.fs().Remove(t.SegmentPath(segments->back())).ok());
  VerifyReport r = Verify(t);
  REQUIRE(r.corrupt());
  CHECK(r.problems[0].file == SegmentFileName(segments->back()));
  CHECK(r.problems[0].message.find("missing") != std::string::npos);
  CHECK(r.problems[0].message.find(fmt::format("offsets {}..119", segments->back())) != std::string::npos);
}

TEST_CASE("VerifyReportsADamagedIndexAsRebuildable") {
  TestLog t({.segment_bytes = 1 << 20});
  FillSegments(t);
  const std::string index = std::string(TestLog::kDir) + "/" + IndexFileName(0);
  t.FlipBit(index, (format::index::kHeaderSize + 4) * 8);  // position field of entry 0
  VerifyReport r = Verify(t);
  REQUIRE_FALSE(r.clean());
  CHECK_FALSE(r.corrupt());
  CHECK(r.problems[0].kind == VerifyProblem::Kind::kIndex);
}

TEST_CASE("VerifyReportsATornTailWithoutCallingItCorruption") {
  TestLog t;
  REQUIRE(t.Append({"a"}).has_value());
  t.SetContents(t.SegmentPath(0), t.Contents(t.SegmentPath(0)) + std::string(40, 'x'));
  VerifyReport r = Verify(t);
  REQUIRE(r.problems.size() == 1);
  CHECK(r.problems[0].kind == VerifyProblem::Kind::kTornTail);
  CHECK_FALSE(r.corrupt());
}

// What verify reports beyond the committed end is what repair will do (format-spec §8.3):
// damage followed by a checksum-valid frame is not a torn tail for either.
TEST_CASE("VerifyAndRepairAgreeOnDamageBeforeAValidFrameBeyondTheCommittedEnd") {
  TestLog t;
  REQUIRE(t.Append({"a"}).has_value());
  const std::string head = t.Contents(std::string(TestLog::kDir) + "/HEAD");
  const uint64_t b_at = t.Contents(t.SegmentPath(0)).size();
  REQUIRE(t.Append({"b"}).has_value());
  REQUIRE(t.Append({"c"}).has_value());
  t.SetContents(std::string(TestLog::kDir) + "/HEAD", head);  // HEAD's rewrites for b and c were lost
  t.FlipBit(t.SegmentPath(0), (b_at + format::frame::kChecksumAt) * 8);
  REQUIRE(t.Reopen().ok());
  VerifyReport r = Verify(t);
  REQUIRE(r.corrupt());
  CHECK(r.problems.back().position == b_at);
  CHECK(r.problems.back().message.find("recovery refuses to cut it") != std::string::npos);
  auto repaired = RepairLog(t.log(), /*force=*/false);
  REQUIRE_FALSE(repaired.has_value());
  CHECK(repaired.status().code() == StatusCode::kCorruption);
}

TEST_CASE("VerifyReportsCompleteBatchesBeyondTheCommittedEndAsKept") {
  TestLog t;
  REQUIRE(t.Append({"a"}).has_value());
  const std::string head = t.Contents(std::string(TestLog::kDir) + "/HEAD");
  REQUIRE(t.Append({"b"}).has_value());
  t.SetContents(std::string(TestLog::kDir) + "/HEAD", head);
  REQUIRE(t.Reopen().ok());
  VerifyReport r = Verify(t);
  REQUIRE(r.problems.size() == 1);
  CHECK(r.problems[0].kind == VerifyProblem::Kind::kTornTail);
  CHECK(r.problems[0].message.find("recovery keeps them") != std::string::npos);
  CHECK_FALSE(r.corrupt());
}

}  // namespace eventlog::test
