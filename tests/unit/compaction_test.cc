// Retention (eventlog/compaction.h): which segments go, which stay and why, and that a crash
// at any file operation of a compaction loses nothing that was to be kept.
#include <doctest/doctest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include <fmt/format.h>

#include "eventlog/compaction.h"
#include "eventlog/consumer_groups.h"
#include "eventlog/verify.h"
#include "compaction_test_helpers.h"
#include "segment.h"

namespace eventlog::test {
namespace {

std::map<std::string, std::string> Snapshot(TestLog& t) {
  std::map<std::string, std::string> files;
  auto names = t.fs().ListDir(TestLog::kDir);
  REQUIRE(names.has_value());
  for (const std::string& name : *names) files[name] = t.Contents(std::string(TestLog::kDir) + "/" + name);
  return files;
}

uint64_t FileSize(TestLog& t, uint64_t base) { return t.Contents(t.SegmentPath(base)).size(); }

// The newest timestamp in each segment, by segment base.
std::map<uint64_t, int64_t> NewestTimestamps(TestLog& t, const std::vector<uint64_t>& segments) {
  std::map<uint64_t, int64_t> newest;
  auto events = t.ReadAll();
  REQUIRE(events.has_value());
  for (const ReadEvent& e : *events) {
    auto it = std::upper_bound(segments.begin(), segments.end(), e.offset);
    newest[*std::prev(it)] = e.timestamp;
  }
  return newest;
}

// A log in a real temporary directory: consumer groups keep their positions in LMDB, which
// does its own file I/O.
class DiskLog {
 public:
  DiskLog() {
    std::string pattern = (std::filesystem::temp_directory_path() / "evlog-compaction-test.XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    root_ = pattern;
    auto log = Log::Open(root_ + "/log", {.create_if_missing = true, .limits = {.segment_bytes = 4096}});
    REQUIRE_MESSAGE(log.has_value(), log.status().message());
    log_ = std::move(log).value();
  }
  ~DiskLog() {
    log_.reset();
    std::filesystem::remove_all(root_);
  }
  Log& log() { return *log_; }

 private:
  std::string root_;
  std::unique_ptr<Log> log_;
};

}  // namespace

TEST_CASE("RetainBytesRemovesSegmentsOnceTheNewerOnesHoldTheBudget") {
  TestLog t({.segment_bytes = 4096});
  std::vector<uint64_t> segs = FillSegments(t, 6);
  const uint64_t budget = FileSize(t, segs[4]) + FileSize(t, segs[5]);
  CompactionReport r = Compact(t, {.retain_bytes = budget});
  CHECK(r.removed.size() == 4);
  CHECK(r.events_removed == segs[4]);
  CHECK(r.first_offset == segs[4]);
  CHECK(Segments(t) == std::vector<uint64_t>{segs[4], segs[5]});
  CHECK(t.log().Info()->first_offset == segs[4]);
  CHECK(Offsets(t).front() == segs[4]);
  CHECK(!r.kept);  // segs[4] is simply within the budget
}

TEST_CASE("BeforeRemovesSegmentsWhoseEventsAllLieBeforeThePosition") {
  TestLog t({.segment_bytes = 4096});
  std::vector<uint64_t> segs = FillSegments(t, 5);
  CompactionReport r = Compact(t, {.before_offset = segs[3] - 1});  // segs[2] ends at segs[3]
  CHECK(r.removed.size() == 2);
  CHECK(r.removed.back().end_offset == segs[2]);
  CHECK(Segments(t).front() == segs[2]);
  r = Compact(t, {.before_offset = segs[3]});
  CHECK(r.removed.size() == 1);
  CHECK(Offsets(t).front() == segs[3]);
}

TEST_CASE("RetainAgeRemovesSegmentsWhoseNewestEventIsOlder") {
  TestLog t({.segment_bytes = 4096});
  std::vector<uint64_t> segs = FillSegments(t, 5);
  std::map<uint64_t, int64_t> newest = NewestTimestamps(t, segs);
  REQUIRE(newest[segs[2]] > newest[segs[1]]);
  const int64_t hour = 3'600'000'000'000;
  // Segment 1's newest event is exactly one hour old and one nanosecond: older than 1h.
  CompactionReport r = Compact(t, {.retain_age_ns = hour, .now_ns = newest[segs[1]] + 1 + hour});
  CHECK(r.removed.size() == 2);
  CHECK(r.removed.back().last_timestamp_ns == newest[segs[1]]);
  CHECK(Segments(t).front() == segs[2]);
}

TEST_CASE("TheActiveSegmentIsNeverRemoved") {
  TestLog t({.segment_bytes = 4096});
  std::vector<uint64_t> segs = FillSegments(t, 4);
  CompactionReport r = Compact(t, {.retain_bytes = 0, .retain_age_ns = 0, .before_offset = UINT64_MAX});
  CHECK(r.removed.size() == 3);
  REQUIRE(r.kept.has_value());
  CHECK(r.kept->base_offset == segs[3]);
  CHECK(r.kept->reason.find("active segment") != std::string::npos);
  CHECK(Segments(t) == std::vector<uint64_t>{segs[3]});
  REQUIRE(t.Append({"after"}).has_value());
  REQUIRE(t.Reopen().ok());
  CHECK(t.Payloads().back() == "after");
  CHECK(Offsets(t).front() == segs[3]);
}

TEST_CASE("PowerLossAfterRemovingEveryClosedSegmentRecoversWithoutThePredecessor") {
  TestLog t({.segment_bytes = 4096});
  std::vector<uint64_t> segs = FillSegments(t, 4);
  std::vector<std::string> kept = t.Payloads();
  kept.erase(kept.begin(), kept.begin() + segs[3]);
  Compact(t, {.before_offset = UINT64_MAX});
  t.fs().SimulatePowerLoss();  // HEAD is never synced: it comes back naming a removed segment
  REQUIRE(t.Reopen().ok());
  Status recovered = t.log().Recover();
  REQUIRE_MESSAGE(recovered.ok(), recovered.message());
  CHECK(t.Payloads() == kept);
  REQUIRE(t.Append({"after"}).has_value());
  CHECK(t.Payloads().back() == "after");
}

TEST_CASE("DryRunReportsThePlanAndChangesNothing") {
  TestLog t({.segment_bytes = 4096});
  std::vector<uint64_t> segs = FillSegments(t, 4);
  auto before = Snapshot(t);
  CompactionReport r = Compact(t, {.before_offset = UINT64_MAX, .dry_run = true});
  CHECK(r.dry_run);
  CHECK(r.removed.size() == 3);
  CHECK(r.first_offset == segs[3]);
  CHECK(r.bytes_removed > 3 * 2048);
  CHECK(Snapshot(t) == before);
}

TEST_CASE("CompactionWithoutALimitIsRefused") {
  TestLog t({.segment_bytes = 4096});
  FillSegments(t, 3);
  auto r = CompactLog(t.log(), {});
  REQUIRE(!r.has_value());
  CHECK(r.error().code() == StatusCode::kInvalidArgument);
  CHECK(Segments(t).size() == 3);
}

TEST_CASE("EventsAGroupHasNotAckedAreKeptUnlessGroupsAreIgnored") {
  DiskLog d;
  std::vector<uint64_t> segs;
  while (segs.size() < 5) {
    Batch batch = d.log().NewBatch();
    for (int i = 0; i < 4; ++i) REQUIRE(batch.Add({.payload = std::string(200, 'x')}).ok());
    REQUIRE(d.log().Append(batch).has_value());
    segs = *ListSegments(PosixFileSystem(), d.log().dir());
  }
  auto groups = ConsumerGroups::Open(d.log());
  REQUIRE(groups.has_value());
  REQUIRE((*groups)->Ack("billing", segs[2] + 3).has_value());  // position segs[2] + 4
  REQUIRE((*groups)->Ack("audit", segs[3]).has_value());        // further ahead

  auto r = CompactLog(d.log(), {.before_offset = UINT64_MAX});
  REQUIRE_MESSAGE(r.has_value(), r.status().message());
  CHECK(r->removed.size() == 2);  // segment 1 ends at segs[2], below the group's position
  REQUIRE(r->kept.has_value());
  CHECK(r->kept->base_offset == segs[2]);
  CHECK(r->kept->reason == fmt::format("group 'billing' is at offset {}", segs[2] + 4));

  r = CompactLog(d.log(), {.before_offset = UINT64_MAX, .ignore_groups = true});
  REQUIRE_MESSAGE(r.has_value(), r.status().message());
  CHECK(r->removed.size() == 2);
  CHECK(ListSegments(PosixFileSystem(), d.log().dir())->front() == segs[4]);
}

TEST_CASE("AnIndexLeftWithoutItsSegmentIsRemovedByTheNextCompaction") {
  TestLog t({.segment_bytes = 4096});
  std::vector<uint64_t> segs = FillSegments(t, 4);
  Compact(t, {.before_offset = segs[1]});
  const std::string orphan = std::string(TestLog::kDir) + "/" + IndexFileName(segs[0]);
  t.SetContents(orphan, "left by a crash between the two removals");
  Compact(t, {.before_offset = segs[2]});
  CHECK(!t.fs().Contents(orphan).has_value());
}

TEST_CASE("CrashAtEveryFileOperationOfACompactionKeepsAContiguousVerifiableLog") {
  for (bool everything : {false, true}) {
    int crash_points = 0;
    for (int crash_after = 0;; ++crash_after) {
      CAPTURE(everything);
      CAPTURE(crash_after);
      TestLog t({.segment_bytes = 8192});  // large enough for every segment to have an index
      std::vector<uint64_t> segs = FillSegments(t, 6);
      std::vector<std::string> all = t.Payloads();
      const uint64_t keep_from = everything ? segs[5] : segs[3];
      t.fs().CrashAfter(crash_after);
      auto r = CompactLog(t.log(), {.before_offset = everything ? UINT64_MAX : segs[3]});
      if (r.has_value()) break;  // finished before this crash point: all covered
      ++crash_points;
      t.fs().SimulatePowerLoss();
      Status reopened = t.Reopen();
      REQUIRE_MESSAGE(reopened.ok(), reopened.message());
      Status recovered = t.log().Recover();
      REQUIRE_MESSAGE(recovered.ok(), recovered.message());
      // What remains is the whole log from some segment boundary at or below keep_from.
      std::vector<uint64_t> offsets = Offsets(t);
      REQUIRE(!offsets.empty());
      const uint64_t first = offsets.front();
      CHECK(std::find(segs.begin(), segs.end(), first) != segs.end());
      CHECK(first <= keep_from);
      CHECK(t.Payloads() == std::vector<std::string>(all.begin() + first, all.end()));
      auto verified = VerifyLog(t.log());
      REQUIRE(verified.has_value());
      for (const VerifyProblem& p : verified->problems) CHECK_MESSAGE(p.kind != VerifyProblem::Kind::kCorruption, p.message);
      REQUIRE(t.Append({"after-crash"}).has_value());
      CHECK(Compact(t, {.before_offset = keep_from}).first_offset == keep_from);
      CHECK(t.Payloads().back() == "after-crash");
    }
    MESSAGE("crash points exercised: " << crash_points);
    CHECK(crash_points == 3 * (everything ? 5 : 3));  // per segment: .seg, .idx, directory sync
  }
}

}  // namespace eventlog::test
