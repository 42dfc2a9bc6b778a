// Log::BeginAtomicAppend: a batch written to its segment while it is built is visible all
// at once, never in part, whatever happens before its commit: a reader meanwhile, the
// caller giving up, a failed write, a kill or a power loss at any file operation.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "format.h"
#include "test_helpers.h"

namespace eventlog::test {
namespace {

using testing::Fault;
using testing::FaultOp;

// `count` events of 200 bytes, "<prefix><i>:" then x's: 1,300 of them fill a frame.
std::vector<std::string> Events(const std::string& prefix, size_t count) {
  std::vector<std::string> events;
  for (size_t i = 0; i < count; ++i) {
    std::string e = fmt::format("{}{}:", prefix, i);
    e.resize(200, 'x');
    events.push_back(std::move(e));
  }
  return events;
}

Status AddAll(AtomicAppend& append, const std::vector<std::string>& events) {
  for (const std::string& e : events) EVLOG_RETURN_IF_ERROR(append.Add({.payload = e}));
  return Status::Ok();
}

std::vector<std::string> Concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

uint64_t SegmentSize(TestLog& t, uint64_t base) { return t.Contents(t.SegmentPath(base)).size(); }

int SegmentCount(TestLog& t) {
  auto names = t.fs().ListDir(TestLog::kDir);
  REQUIRE(names.has_value());
  int segments = 0;
  for (const std::string& n : *names) segments += n.ends_with(".seg") ? 1 : 0;
  return segments;
}

}  // namespace

TEST_CASE("AnAtomicAppendIsInvisibleUntilItsCommitThenWhole") {
  TestLog t;
  REQUIRE(t.Append({"before"}).has_value());
  // 2.4 MB: about ten frames, two 1 MiB chunks of them in the segment before the commit.
  const std::vector<std::string> events = Events("s", 12000);
  auto append = t.log().BeginAtomicAppend();
  REQUIRE_MESSAGE(append.has_value(), append.status().message());
  REQUIRE(AddAll(**append, events).ok());
  CHECK((*append)->event_count() == events.size());
  // The active segment held "before": the batch has a segment of its own, based at 1.
  CHECK(SegmentSize(t, 1) > (2u << 20));  // written, beyond the committed end
  CHECK(t.Payloads() == std::vector<std::string>{"before"});
  auto committed = (*append)->Commit();
  REQUIRE_MESSAGE(committed.has_value(), committed.status().message());
  CHECK(committed->first_offset == 1);
  CHECK(committed->count == events.size());
  const std::vector<std::string> want = Concat({"before"}, events);
  CHECK(t.Payloads() == want);
  REQUIRE(t.Append({"after"}).has_value());
  t.fs().SimulatePowerLoss();  // it was synced before Commit() returned
  REQUIRE(t.Reopen().ok());
  CHECK(t.Payloads() == Concat(want, {"after"}));
  CHECK_FALSE((*append)->Commit().has_value());  // once only
}

TEST_CASE("AnAtomicAppendGivenUpLeavesNothingAndTheLogGoesOn") {
  TestLog t;
  REQUIRE(t.Append({"before"}).has_value());
  {
    auto append = t.log().BeginAtomicAppend();
    REQUIRE(append.has_value());
    REQUIRE(AddAll(**append, Events("g", 12000)).ok());
  }  // destroyed without Commit()
  CHECK(SegmentSize(t, 1) == format::segment::kHeaderSize);  // its frames were removed
  CHECK(t.Payloads() == std::vector<std::string>{"before"});
  auto after = t.Append({"after"});
  REQUIRE(after.has_value());
  CHECK(after->first_offset == 1);
  t.fs().SimulatePowerLoss();  // the removal was durable
  REQUIRE(t.Reopen().ok());
  REQUIRE(t.log().Recover().ok());
  CHECK(t.Payloads() == std::vector<std::string>{"before", "after"});
}

TEST_CASE("AnAtomicAppendChecksExpectNextAtOnceAndKeepsAnEmptySegment") {
  TestLog t;
  auto stale = t.log().BeginAtomicAppend({.expect_next = 5});
  REQUIRE_FALSE(stale.has_value());
  CHECK(stale.status().code() == StatusCode::kConflict);
  auto append = t.log().BeginAtomicAppend({.expect_next = 0});
  REQUIRE(append.has_value());
  REQUIRE(AddAll(**append, Events("e", 3000)).ok());  // more than a frame
  REQUIRE((*append)->Commit().has_value());
  // The new log's segment had no frame: the batch went there, no segment was started.
  CHECK(SegmentCount(t) == 1);
  CHECK(t.Payloads() == Events("e", 3000));
}

// A segment is started only for a batch that needs one: not for one given up or empty
// before its first frame filled, nor for one that ends up fitting the active segment.
TEST_CASE("AnAtomicAppendStartsASegmentOnlyWhenItsBatchNeedsOne") {
  TestLog t;
  REQUIRE(t.Append({"before"}).has_value());
  for (int i = 0; i < 3; ++i) {
    auto given_up = t.log().BeginAtomicAppend();
    REQUIRE(given_up.has_value());
    REQUIRE(AddAll(**given_up, Events("g", 100)).ok());
    CHECK((*given_up)->Abandon().ok());
    CHECK_FALSE((*given_up)->active());
  }
  auto empty = t.log().BeginAtomicAppend();
  REQUIRE(empty.has_value());
  auto nothing = (*empty)->Commit();
  REQUIRE(nothing.has_value());
  CHECK(nothing->count == 0);
  CHECK(nothing->first_offset == 1);
  auto small = t.log().BeginAtomicAppend();
  REQUIRE(small.has_value());
  REQUIRE(AddAll(**small, Events("s", 1000)).ok());  // one frame, known whole at the commit
  auto committed = (*small)->Commit();
  REQUIRE(committed.has_value());
  CHECK(committed->first_offset == 1);
  CHECK(SegmentCount(t) == 1);
  CHECK(t.Payloads() == Concat({"before"}, Events("s", 1000)));
}

TEST_CASE("OtherAppendersWaitForAnAtomicAppend") {
  TestLog t;
  const std::vector<std::string> events = Events("w", 2000);
  auto append = t.log().BeginAtomicAppend();
  REQUIRE(append.has_value());
  REQUIRE(AddAll(**append, events).ok());
  std::atomic<bool> other_done = false;
  Result<AppendResult> other = Status::Failed("not run");
  std::thread appender([&] {
    other = t.Append({"other"});
    other_done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK_FALSE(other_done.load());
  REQUIRE((*append)->Commit().has_value());
  appender.join();
  REQUIRE(other.has_value());
  CHECK(other->first_offset == events.size());
  CHECK(t.Payloads() == Concat(events, {"other"}));
}

TEST_CASE("AnAtomicAppendRefusesAnEventThatDoesNotFitAndCommitsTheRest") {
  TestLog t({.segment_bytes = 64 << 10});
  auto append = t.log().BeginAtomicAppend();
  REQUIRE(append.has_value());
  const std::vector<std::string> events = Events("r", 300);  // about 62 KB
  REQUIRE(AddAll(**append, events).ok());
  Status refused = (*append)->Add({.payload = std::string(4000, 'z')});
  CHECK(refused.code() == StatusCode::kInvalidArgument);
  CHECK(refused.message().find("the most one segment can hold") != std::string::npos);
  REQUIRE((*append)->Commit().has_value());
  CHECK(t.Payloads() == events);
}

TEST_CASE("AFailedWriteAbandonsAnAtomicAppendAsNotCommitted") {
  for (Fault fault : {Fault::kIOError, Fault::kNoSpace, Fault::kShortWrite}) {
    CAPTURE(static_cast<int>(fault));
    TestLog t;
    REQUIRE(t.Append({"before"}).has_value());
    auto append = t.log().BeginAtomicAppend();
    REQUIRE(append.has_value());
    t.fs().FailNext(FaultOp::kWrite, /*skip=*/1, fault);  // the second 1 MiB chunk
    Status added = AddAll(**append, Events("f", 12000));
    REQUIRE_FALSE(added.ok());
    CHECK(added.message().find("not committed") != std::string::npos);
    CHECK_FALSE((*append)->Commit().has_value());
    CHECK(t.Payloads() == std::vector<std::string>{"before"});
    REQUIRE(t.Append({"after"}).has_value());
    t.fs().SimulatePowerLoss();
    REQUIRE(t.Reopen().ok());
    REQUIRE(t.log().Recover().ok());
    CHECK(t.Payloads() == std::vector<std::string>{"before", "after"});
  }
}

// A failure of any one file operation of a stream (writes, write-back starts, the sync,
// HEAD, the roll, the removal after a failure): an OK commit is all there after a power
// loss; "not committed" means none of it, ever; "outcome unknown" means all or none.
TEST_CASE("AFailureAtAnyFileOperationOfAnAtomicAppendKeepsItsWord") {
  const std::vector<std::string> events = Events("f", 12000);
  struct Outcome {
    bool committed = false;
    std::string error;
  };
  auto run = [&](TestLog& t) {
    Outcome o;
    auto append = t.log().BeginAtomicAppend();
    // Refused before anything was written (the lock file cannot be opened): as Append does,
    // the cause alone.
    if (!append.has_value()) return Outcome{false, "not committed: " + append.status().message()};
    Status added = AddAll(**append, events);
    if (!added.ok()) return Outcome{false, added.message()};
    auto committed = (*append)->Commit();
    return committed.has_value() ? Outcome{true, ""} : Outcome{false, committed.status().message()};
  };
  int runs = 0;
  for (FaultOp op : {FaultOp::kWrite, FaultOp::kWriteback, FaultOp::kSync, FaultOp::kTruncate, FaultOp::kCreate,
                     FaultOp::kSyncDir, FaultOp::kRename}) {
    int total = 0;
    {
      TestLog t;
      REQUIRE(t.Append({"seed"}).has_value());
      const int before = t.fs().operations(op);
      REQUIRE(run(t).committed);
      total = t.fs().operations(op) - before;
    }
    for (int k = 0; k <= total; ++k) {  // k == total: a failure in the removal after one
      CAPTURE(static_cast<int>(op));
      CAPTURE(k);
      TestLog t;
      REQUIRE(t.Append({"seed"}).has_value());
      t.fs().FailNext(op, k);
      Outcome o = run(t);
      if (!o.committed && o.error.empty()) FAIL("an error without a message");
      const bool not_committed = !o.committed && o.error.find("not committed") != std::string::npos;
      const bool unknown = !o.committed && o.error.find("outcome unknown") != std::string::npos;
      CHECK_MESSAGE((o.committed || not_committed || unknown), o.error);
      for (bool power_loss : {false, true}) {
        CAPTURE(power_loss);
        ReopenAfterCrash(t, power_loss);
        const std::vector<std::string> kept = t.Payloads();
        if (o.committed) CHECK(kept == Concat({"seed"}, events));
        if (not_committed) CHECK(kept == std::vector<std::string>{"seed"});
        if (unknown) CHECK((kept.size() == 1 || kept == Concat({"seed"}, events)));
      }
      REQUIRE(t.Append({"after"}).has_value());
      ++runs;
    }
  }
  MESSAGE("failure points exercised: " << runs);
  CHECK(runs > 15);
}

TEST_CASE("AnAtomicAppendWithoutSyncIsVisibleAtOnceAndWholeOrAbsentAfterAPowerLoss") {
  TestLog t;
  REQUIRE(t.Append({"seed"}).has_value());
  const std::vector<std::string> events = Events("n", 12000);
  auto append = t.log().BeginAtomicAppend({.sync = false});
  REQUIRE(append.has_value());
  REQUIRE(AddAll(**append, events).ok());
  const int syncs = t.fs().operations(FaultOp::kSync);
  REQUIRE((*append)->Commit().has_value());
  CHECK(t.fs().operations(FaultOp::kSync) == syncs);  // the commit itself syncs nothing
  CHECK(t.Payloads() == Concat({"seed"}, events));
  t.fs().SimulatePowerLoss();
  REQUIRE(t.Reopen().ok());
  REQUIRE(t.log().Recover().ok());
  const std::vector<std::string> kept = t.Payloads();
  CHECK((kept.size() == 1 || kept == Concat({"seed"}, events)));
}

// The class of defect this guards against: any moment at which part of the batch could be
// seen or kept. A kill (the page cache survives) and a power loss (only synced bytes do) at
// every mutating file operation from BeginAtomicAppend to the end of Commit.
TEST_CASE("ACrashAtEveryOperationOfAnAtomicAppendKeepsAllOrNothing") {
  const std::vector<std::string> events = Events("c", 12000);
  auto run = [&](TestLog& t) -> bool {
    auto append = t.log().BeginAtomicAppend();
    if (!append.has_value() || !AddAll(**append, events).ok()) return false;
    return (*append)->Commit().has_value();
  };
  int operations = 0;
  {
    TestLog t;
    REQUIRE(t.Append({"seed"}).has_value());
    const int before = t.fs().mutating_operations();
    REQUIRE(run(t));
    operations = t.fs().mutating_operations() - before;
  }
  REQUIRE(operations >= 6);  // the roll, three chunks, their write-back, the sync, HEAD
  // 0: a kill; 1: a power loss; 2: a power loss that keeps some unsynced sectors, not
  // always in the order they were written (the realistic model of fault_file_system.h).
  for (int loss : {0, 1, 2}) {
    for (int crash_after = 0; crash_after <= operations; ++crash_after) {
      CAPTURE(loss);
      CAPTURE(crash_after);
      TestLog t;
      REQUIRE(t.Append({"seed"}).has_value());
      t.fs().CrashAfter(crash_after);
      const bool acknowledged = run(t);
      if (loss == 2) t.fs().SetPowerLossModel({.seed = static_cast<uint64_t>(crash_after) + 1});
      if (loss == 0) {
        t.fs().SimulateProcessCrash();
      } else {
        t.fs().SimulatePowerLoss();
      }
      REQUIRE(t.Reopen().ok());
      const size_t seen = t.Payloads().size();  // a reader, before any recovery
      CHECK_MESSAGE((seen == 1 || seen == 1 + events.size()), "a reader saw " << seen - 1 << " events of the batch");
      Status recovered = t.log().Recover();
      REQUIRE_MESSAGE(recovered.ok(), recovered.message());
      const std::vector<std::string> kept = t.Payloads();
      CHECK((kept.size() == 1 || kept == Concat({"seed"}, events)));
      if (acknowledged) CHECK(kept.size() == 1 + events.size());
      REQUIRE(t.Append({"after"}).has_value());
    }
  }
}

}  // namespace eventlog::test
