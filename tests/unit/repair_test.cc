#include <doctest/doctest.h>

#include "eventlog/repair.h"
#include "eventlog/verify.h"
#include "format.h"
#include "segment.h"
#include "test_helpers.h"

namespace eventlog::test {

TEST_CASE("RepairCutsATornTailAndRebuildsIndexes") {
  TestLog t({.segment_bytes = 1 << 20});
  for (int i = 0; i < 100; ++i) REQUIRE(t.Append({std::string(100, 'x')}).has_value());
  const std::string index = std::string(TestLog::kDir) + "/" + IndexFileName(0);
  t.FlipBit(index, (format::index::kHeaderSize + 4) * 8);
  t.SetContents(t.SegmentPath(0), t.Contents(t.SegmentPath(0)) + std::string(24, '\x7f'));
  auto report = RepairLog(t.log(), /*force=*/false);
  REQUIRE_MESSAGE(report.has_value(), report.status().message());
  CHECK(report->actions.size() == 2);  // the cut and the index rebuild
  auto verified = VerifyLog(t.log());
  REQUIRE(verified.has_value());
  CHECK(verified->clean());
}

TEST_CASE("RepairWithoutForceNeverDiscardsDamagedCommittedData") {
  TestLog t;
  for (int i = 0; i < 5; ++i) REQUIRE(t.Append({"event" + std::to_string(i)}).has_value());
  t.FlipBit(t.SegmentPath(0), (format::segment::kHeaderSize + 100) * 8);
  const std::string damaged = t.Contents(t.SegmentPath(0));
  t.SetContents(std::string(TestLog::kDir) + "/HEAD", std::string(64, '\0'));
  auto report = RepairLog(t.log(), /*force=*/false);
  CHECK(report.status().code() == StatusCode::kCorruption);
  CHECK(t.Contents(t.SegmentPath(0)) == damaged);
}

TEST_CASE("ForcedRepairMovesDamagedSegmentsAsideAndNeverReusesOffsets") {
  TestLog t({.segment_bytes = 4096});
  for (int i = 0; i < 60; ++i) REQUIRE(t.Append({std::string(150, 'a' + i % 26)}).has_value());
  auto segments = ListSegments(&t.fs(), TestLog::kDir);
  REQUIRE(segments.has_value());
  REQUIRE(segments->size() >= 3);
  const uint64_t second = (*segments)[1];
  t.FlipBit(t.SegmentPath(second), (format::segment::kHeaderSize + 200) * 8);
  t.FlipBit(t.SegmentPath(segments->back()), (format::segment::kHeaderSize + 10) * 8);  // the active one
  auto report = RepairLog(t.log(), /*force=*/true);
  REQUIRE_MESSAGE(report.has_value(), report.status().message());
  CHECK(t.fs().Contents(std::string(TestLog::kDir) + "/quarantine/" + SegmentFileName(second)).has_value());
  auto appended = t.Append({"after repair"});
  REQUIRE_MESSAGE(appended.has_value(), appended.status().message());
  CHECK(appended->first_offset == 60);
  auto verified = VerifyLog(t.log());
  REQUIRE(verified.has_value());
  CHECK_FALSE(verified->corrupt());
  auto events = t.ReadAll();
  REQUIRE_MESSAGE(events.has_value(), events.status().message());
  CHECK(events->back().payload == "after repair");
  CHECK(events->front().offset == 0);
}

}  // namespace eventlog::test
