// What an acknowledgement and a published HEAD promise, checked in the states the simpler
// crash loops never reach (issue 9, mutation testing): a sync append queued behind an
// unsynced one, a failed fdatasync seen by a reader, a kill inside a multi-frame batch, and
// recovery from a valid but stale HEAD with durable batches after it.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "test_helpers.h"

namespace eventlog::test {
namespace {

using testing::FaultOp;

const std::string kHead = std::string(TestLog::kDir) + "/HEAD";
const std::string kLock = std::string(TestLog::kDir) + "/LOCK";

// One batch whose events each get their own frame: a small frame body forces a new frame
// for every ~200-byte event.
Batch MultiFrameBatch(const std::vector<std::string>& payloads) {
  Batch batch(1 << 20, 1 << 20, TestLog::kDir, /*frame_body_bytes=*/256);
  for (const std::string& p : payloads) REQUIRE(batch.Add({.payload = p}).ok());
  return batch;
}

}  // namespace

TEST_CASE("ASyncAppendQueuedBehindAnUnsyncedOneIsDurableWhenAcknowledged") {
  TestLog t;
  REQUIRE(t.Append({"first"}).has_value());
  // Holding LOCK as another process would keeps the first append's commit waiting; the two
  // appends queued meanwhile are then led by the unsynced one, which groups what it can.
  auto lock = t.fs().Lock(kLock);
  REQUIRE(lock.has_value());
  std::vector<std::thread> appenders;
  const auto queue = [&](std::string payload, bool sync) {
    appenders.emplace_back([&t, payload, sync] { CHECK(t.Append({payload}, {.sync = sync}).has_value()); });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  };
  queue("waiting", true);
  queue("unsynced", false);
  queue("synced", true);
  lock->reset();
  for (std::thread& a : appenders) a.join();
  t.fs().SimulatePowerLoss();
  REQUIRE(t.Reopen().ok());
  const std::vector<std::string> got = t.Payloads();
  CHECK(std::find(got.begin(), got.end(), "synced") != got.end());
}

TEST_CASE("AReaderNeverSeesAnEventWhoseFdatasyncFailed") {
  // A reader that saw an event must see it after any power loss: HEAD may name frames only
  // once they are durable.
  TestLog t;
  REQUIRE(t.Append({"durable"}).has_value());
  t.fs().FailNext(FaultOp::kSync);
  REQUIRE_FALSE(t.Append({"not durable"}).has_value());
  std::vector<ReadEvent> seen;
  {
    auto reader_log = Log::Open(TestLog::kDir, {.fs = &t.fs()});  // another process reading
    REQUIRE(reader_log.has_value());
    auto reader = (*reader_log)->NewReader();
    REQUIRE(reader.has_value());
    auto events = ReadFrom(**reader);
    REQUIRE(events.has_value());
    seen = std::move(events).value();
  }
  t.fs().SimulatePowerLoss();
  REQUIRE(t.Reopen().ok());
  const std::vector<std::string> after = t.Payloads();
  for (const ReadEvent& e : seen) {
    CHECK_MESSAGE(std::find(after.begin(), after.end(), e.payload) != after.end(),
                  "a reader saw \"" << e.payload << "\", which a power loss then took back");
  }
}

TEST_CASE("AKillAtEveryOperationOfAMultiFrameBatchExposesAllOrNothing") {
  const std::vector<std::string> batch = {fmt::format("m0:{}", std::string(200, 'a')),
                                          fmt::format("m1:{}", std::string(200, 'b')),
                                          fmt::format("m2:{}", std::string(200, 'c'))};
  int operations = 0;  // mutating file operations of the append, counted in a clean run
  {
    TestLog t;
    REQUIRE(t.Append({"seed"}).has_value());
    const int before = t.fs().mutating_operations();
    REQUIRE(t.log().Append(MultiFrameBatch(batch)).has_value());
    operations = t.fs().mutating_operations() - before;
  }
  REQUIRE(operations >= 2);
  for (int crash_after = 0; crash_after < operations; ++crash_after) {
    CAPTURE(crash_after);
    TestLog t;
    REQUIRE(t.Append({"seed"}).has_value());
    t.fs().CrashAfter(crash_after);
    const bool acknowledged = t.log().Append(MultiFrameBatch(batch)).has_value();
    t.fs().SimulateProcessCrash();  // the page cache, and any HEAD written, survive a kill
    REQUIRE(t.Reopen().ok());
    const size_t seen = t.Payloads().size();  // a reader, before any recovery
    CHECK_MESSAGE((seen == 1 || seen == 4), "a reader saw " << seen - 1 << " of the batch's 3 events");
    Status recovered = t.log().Recover();
    REQUIRE_MESSAGE(recovered.ok(), recovered.message());
    const size_t kept = t.Payloads().size();
    CHECK((kept == 1 || kept == 4));
    if (acknowledged) CHECK(kept == 4);
  }
}

TEST_CASE("RecoveryFromAStaleHeadKeepsTheDurableBatchesAfterIt") {
  // The common state after a power loss: HEAD's write of an earlier append reached the disk,
  // those of later synced appends did not.
  TestLog t;
  REQUIRE(t.Append({"a"}).has_value());
  const std::string head_after_a = t.Contents(kHead);
  REQUIRE(t.Append({"b", "c"}).has_value());
  REQUIRE(t.log().Append(MultiFrameBatch({std::string(200, 'd'), std::string(200, 'e')})).has_value());
  t.fs().SimulatePowerLoss();
  t.SetContents(kHead, head_after_a);
  REQUIRE(t.Reopen().ok());
  Status recovered = t.log().Recover();
  REQUIRE_MESSAGE(recovered.ok(), recovered.message());
  REQUIRE(t.Append({"f"}).has_value());
  const std::vector<std::string> want = {"a", "b", "c", std::string(200, 'd'), std::string(200, 'e'), "f"};
  CHECK(t.Payloads() == want);
  t.fs().SimulatePowerLoss();
  REQUIRE(t.Reopen().ok());
  CHECK(t.Payloads() == want);
}

}  // namespace eventlog::test
