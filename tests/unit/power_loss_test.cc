// Simulated power loss through the fault-injecting file system: a crash at every mutating
// file operation of a scenario (appends, segment rolls, atomic batches) must keep every
// acknowledged event, keep batches all-or-nothing, and leave a log that opens.
#include <doctest/doctest.h>

#include <fmt/format.h>

#include "test_helpers.h"

namespace eventlog::test {
namespace {

// Batch i holds (i % 3) + 1 events named "b<i>.<j>", each ~200 bytes, so that a 4 KiB
// segment rolls every few batches.
struct CrashRun {
  int acknowledged_batches = 0;  // batches whose Append returned OK before the crash
  bool crashed = false;
};

CrashRun RunUntilCrash(TestLog& t, int crash_after, int batches) {
  CrashRun run;
  t.fs().CrashAfter(crash_after);
  for (int i = 0; i < batches; ++i) {
    if (!t.Append(BatchPayloads(i, 200)).has_value()) {
      run.crashed = true;
      break;
    }
    ++run.acknowledged_batches;
  }
  return run;
}

}  // namespace

TEST_CASE("AcknowledgedEventsSurvivePowerLossAtEveryCrashPoint") {
  constexpr int kBatches = 24;
  int crash_points = 0;
  for (int crash_after = 0;; ++crash_after) {
    CAPTURE(crash_after);
    TestLog t({.segment_bytes = 4096});
    CrashRun run = RunUntilCrash(t, crash_after, kBatches);
    if (!run.crashed) break;  // the scenario finished before this crash point: all covered
    ++crash_points;
    t.fs().SimulatePowerLoss();
    Status reopened = t.Reopen();
    REQUIRE_MESSAGE(reopened.ok(), reopened.message());
    Status recovered = t.log().Recover();
    REQUIRE_MESSAGE(recovered.ok(), recovered.message());
    std::vector<std::string> got = t.Payloads();
    // Every acknowledged batch is there, in order; the batch in flight is whole or absent.
    std::vector<std::string> expected;
    for (int i = 0; i < run.acknowledged_batches; ++i) {
      for (const std::string& p : BatchPayloads(i, 200)) expected.push_back(p);
    }
    std::vector<std::string> with_in_flight = expected;
    for (const std::string& p : BatchPayloads(run.acknowledged_batches, 200)) with_in_flight.push_back(p);
    CHECK((got == expected || got == with_in_flight));
    REQUIRE(t.Append({"after-crash"}).has_value());
  }
  MESSAGE("crash points exercised: " << crash_points);
  CHECK(crash_points > 50);
}

TEST_CASE("UnsyncedAppendsMayBeLostOnPowerLossButTheLogStaysConsistent") {
  TestLog t;
  REQUIRE(t.Append({"synced"}).has_value());
  for (int i = 0; i < 10; ++i) REQUIRE(t.Append({"unsynced"}, {.sync = false}).has_value());
  t.fs().SimulatePowerLoss();
  REQUIRE(t.Reopen().ok());
  // The synced event survives; of the unsynced ones, any prefix may; the log takes appends.
  Status recovered = t.log().Recover();
  REQUIRE_MESSAGE(recovered.ok(), recovered.message());
  std::vector<std::string> got = t.Payloads();
  REQUIRE(!got.empty());
  CHECK(got.front() == "synced");
  CHECK(got.size() <= 11);
  for (size_t i = 1; i < got.size(); ++i) CHECK(got[i] == "unsynced");
  auto after = t.Append({"after"});
  REQUIRE_MESSAGE(after.has_value(), after.status().message());
  CHECK(after->first_offset == got.size());
}

TEST_CASE("CrashDuringLogCreationLeavesADirectoryThatCreatesCleanlyLater") {
  for (int crash_after = 0; crash_after < 12; ++crash_after) {
    CAPTURE(crash_after);
    testing::FaultFileSystem fs;
    REQUIRE(fs.CreateDir("/log").ok());
    fs.CrashAfter(crash_after);
    auto first = Log::Open("/log", {.create_if_missing = true, .fs = &fs});
    fs.SimulatePowerLoss();
    auto log = Log::Open("/log", {.create_if_missing = true, .fs = &fs});
    REQUIRE_MESSAGE(log.has_value(), log.status().message());
    Batch batch = (*log)->NewBatch();
    REQUIRE(batch.Add({.payload = "x"}).ok());
    auto appended = (*log)->Append(batch);
    REQUIRE_MESSAGE(appended.has_value(), appended.status().message());
    CHECK(appended->first_offset == 0);
  }
}

TEST_CASE("CreationRefusesADirectoryThatIsNotALogAndWritesNothingIntoIt") {
  testing::FaultFileSystem fs;
  REQUIRE(fs.CreateDir("/etc").ok());
  auto planted = fs.Open("/etc/hosts", OpenMode::kCreateExclusive);
  REQUIRE(planted.has_value());
  REQUIRE((*planted)->Write(0, "127.0.0.1 localhost\n").ok());
  auto log = Log::Open("/etc", {.create_if_missing = true, .fs = &fs});
  REQUIRE_FALSE(log.has_value());
  CHECK(log.status().code() == StatusCode::kInvalidArgument);
  CHECK(log.status().message().find("it holds 1 entry, e.g. 'hosts'") != std::string::npos);
  auto names = fs.ListDir("/etc");
  REQUIRE(names.has_value());
  CHECK(*names == std::vector<std::string>{"hosts"});
}

}  // namespace eventlog::test
