// Issue 9, test 2 (exhaustive): one fixed scenario that goes through every write path the
// library has (appends of one frame and of many, synced and not, rolls, a read, group acks,
// a compaction, an import into an existing empty log with its group positions), and at
// every one of its mutating file operations in turn:
//   - crashes there, loses power (the deterministic model, and the seeded realistic one once,
//     or with 50 seeds in long mode; a sanitizer build alternates the two), recovers and
//     checks;
//   - makes that one operation fail (EIO from a sync, ENOSPC or a short write from a write,
//     a failed rename, truncate or directory sync), lets the processes go on to the end,
//     loses power, recovers with a second failure injected into recovery itself (at a seeded
//     one of its first 8 operations, or at each of its first 12 in long mode), recovers
//     again cleanly, and checks.
// Data lost after a failed sync during recovery, and a renamed segment adopted without a
// directory sync, were found by review; this is the test that must find such defects.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <random>

#include <fmt/format.h>

#include "eventlog/consumer_groups.h"
#include "torture_log.h"
#include "torture_run.h"

namespace eventlog::torture {
namespace {

using testing::Fault;

using testing::FaultOp;

// What the import attempted, to check its all-or-nothing promise (format-spec §11.1).
struct Import {
  bool attempted = false;
  Outcome outcome = Outcome::kUnknown;
  std::vector<LogEvent> events;  // the batch, with the offsets it carries
  uint64_t group_position = 0;   // the position it sets for group "imported"
};

class Scenario {
 public:
  Scenario(testing::FaultFileSystem& fs) : fs_(fs), log_(fs, {.segment_bytes = 8192}, 2) {}

  TortureLog& log() { return log_; }
  const Import& import() const { return import_; }
  std::string import_dir() const { return log_.scratch() + "/import"; }

  // Runs every step; with `stop_at_crash`, stops after the first injected crash.
  void Run(bool stop_at_crash) {
    const uint64_t crashes = log_.crashes();
    auto go_on = [&] { return !stop_at_crash || (log_.crashes() == crashes && !fs_.crashed()); };
    const std::vector<std::function<void()>> steps = {
        [&] { Append(0, 2, 300, true); },
        [&] { Append(1, 5, 400, true, /*frame_body_bytes=*/512); },  // four frames
        [&] { Append(0, 1, 100, false); },
        [&] { Append(1, 3, 700, true); },
        [&] { (void)log_.Read(1, std::nullopt); },
        [&] { (void)log_.AckGroup(1, "billing"); },
        [&] { Append(0, 4, 600, true, 700); },  // rolls, several frames
        [&] { Append(1, 1, 50, false); },
        [&] { Append(0, 6, 900, true, 1000); },
        [&] { (void)log_.Compact(0, NextOffset()); },  // removes every closed segment
        [&] { Append(1, 2, 2000, true); },
        [&] { (void)log_.Read(0, NextOffset() > 8 ? NextOffset() - 8 : 0); },
        [&] { (void)log_.AckGroup(0, "billing"); },
        [&] { ImportIntoEmptyLog(); },
        [&] { Append(0, 1, 30, true); },
        [&] { Append(1, 3, 1500, true, 2000); },  // rolls again
        [&] { Append(0, 2, 80, false); },
        [&] { Append(1, 8, 500, true, 1024); },  // rolls inside a commit of four frames
        [&] { Append(0, 1, 40, true); },
    };
    for (const auto& step : steps) {
      if (!go_on()) return;
      step();
      if (fs_.crashed()) log_.Kill(0), log_.Kill(1);
    }
  }

  // The imported log holds the whole batch or none of it, the batch if it was acknowledged,
  // and group "imported" is at its position exactly when the batch is there. Where the
  // batch is not, another writer first fills its offsets with other events, which the
  // pending positions' digest must tell from the batch (format-spec §11.1).
  std::vector<Violation> CheckImport() {
    if (!import_.attempted) return {};
    auto log = Log::Open(import_dir(), {.fs = &fs_});
    if (!log && log.status().code() == StatusCode::kNotFound) {
      if (import_.outcome == Outcome::kAck) return {{"import", "the imported log is gone"}};
      return {};
    }
    if (!log) return {{"import", "the imported log does not open: " + log.status().message()}};
    auto got = ReadEvents(**log);
    if (!got) return {{"import", "reading the imported log failed: " + got.status().message()}};
    const bool whole = *got == import_.events;
    std::vector<Violation> out;
    if (!got->empty() && !whole) out.push_back({"import", fmt::format("{} of {} imported events", got->size(), import_.events.size())});
    if (!whole && import_.outcome == Outcome::kAck) out.push_back({"import", "an acknowledged import is missing"});
    if (!whole) {
      Batch others = (*log)->NewBatch();
      for (size_t i = 0; i < import_.events.size(); ++i) REQUIRE(others.Add({.payload = "another writer"}).ok());
      auto appended = (*log)->Append(others);
      if (!appended) out.push_back({"import", "appending after a lost import failed: " + appended.status().message()});
    }
    auto groups = ConsumerGroups::Open(**log);
    if (!groups) return {{"import", "the imported log's groups do not open: " + groups.status().message()}};
    auto g = (*groups)->Get("imported");
    const uint64_t expected = whole ? import_.group_position : import_.events.front().offset;
    if (!g || g->position != expected) {
      out.push_back({"import", fmt::format("group 'imported' is at {}, expected {} (batch {})",
                                           g ? std::to_string(g->position) : g.status().message(), expected,
                                           whole ? "present" : "absent")});
    }
    return out;
  }

 private:
  void Append(int p, size_t events, size_t size, bool sync, uint64_t frame_body_bytes = 256 * 1024) {
    log_.Append(p, {.sizes = std::vector<size_t>(events, size), .frame_body_bytes = frame_body_bytes, .sync = sync});
  }

  uint64_t NextOffset() const {
    uint64_t next = 0;
    for (const AppendRecord& a : log_.history().appends) {
      if (a.outcome == Outcome::kAck) next = std::max(next, a.first + a.events);
    }
    return next;
  }

  // `evlog import` into an existing empty log: the newest events of the log, with their
  // offsets, and a group position, as one unit (ConsumerGroups::AppendWithPositions).
  void ImportIntoEmptyLog() {
    std::vector<LogEvent> source;
    const uint64_t next = NextOffset();
    auto read = log_.ReadFrom(0, next > 10 ? next - 10 : 0, &source);
    if (!read.ok() || source.empty()) return;
    mkdir(import_dir().c_str(), 0755);  // for the group store (LMDB is not simulated)
    if (!fs_.CreateDir(import_dir()).ok()) return;
    auto log = Log::Open(import_dir(), {.create_if_missing = true, .first_offset = source.front().offset, .fs = &fs_});
    if (!log) return;
    auto groups = ConsumerGroups::Open(**log);
    if (!groups) return;
    Batch batch = (*log)->NewBatch();
    for (const LogEvent& e : source) {
      if (!batch.AddAt({.payload = e.payload}, e.offset, 1'000'000 + static_cast<int64_t>(e.offset)).ok()) return;
    }
    import_ = {true, Outcome::kUnknown, source, source.back().offset};
    const std::vector<GroupInfo> positions = {{"imported", import_.group_position, 0}};
    auto appended = (*groups)->AppendWithPositions(**log, batch, positions);
    if (appended) {
      import_.outcome = Outcome::kAck;
    } else if (!fs_.crashed() && appended.status().code() != StatusCode::kFailed) {
      import_.outcome = Outcome::kFail;
    }
  }

  testing::FaultFileSystem& fs_;
  TortureLog log_;
  Import import_;
};

// The kinds of the scenario's mutating operations, from a run without faults.
std::vector<FaultOp> ScenarioOperations() {
  testing::FaultFileSystem fs;
  Scenario s(fs);
  const size_t before = fs.mutation_kinds().size();
  s.Run(false);
  std::vector<FaultOp> kinds = fs.mutation_kinds();
  kinds.erase(kinds.begin(), kinds.begin() + static_cast<std::ptrdiff_t>(before));
  REQUIRE(s.log().CheckFinal().empty());
  REQUIRE(s.import().outcome == Outcome::kAck);
  return kinds;
}

// A fault that fits the operation: what the system call would really report.
Fault FaultFor(FaultOp op, size_t index) {
  if (op == FaultOp::kWrite) return index % 2 == 0 ? Fault::kNoSpace : Fault::kShortWrite;
  return op == FaultOp::kCreate ? Fault::kNoSpace : Fault::kIOError;
}

const char* Name(FaultOp op) {
  static constexpr const char* kNames[] = {"write", "sync", "truncate", "rename", "remove", "syncdir", "create"};
  return kNames[static_cast<int>(op)];
}

// Recovers after the power loss (with `second_failure`, first through a recovery that fails
// there) and checks everything; returns the violations, each prefixed with `where`.
std::vector<Violation> RecoverAndCheck(testing::FaultFileSystem& fs, Scenario& s, std::optional<int> second_failure,
                                       Fault second_fault, uint64_t* refused, uint64_t* failed_recoveries = nullptr) {
  TortureLog& log = s.log();
  if (second_failure) {
    fs.FailMutation(*second_failure, second_fault);
    if (!log.Recover(0).ok()) ++*failed_recoveries;
    fs.ClearFaults();
  }
  Status recovered = log.Recover(1);
  if (!recovered.ok()) {
    if (recovered.code() == StatusCode::kCorruption && (log.unsynced_at_power_loss() || fs.last_power_loss().sectors.out_of_order)) {
      ++*refused;
      return {};
    }
    return {{"recovery", recovered.message()}};
  }
  std::vector<Violation> out = log.CheckFinal();
  for (Violation& v : s.CheckImport()) out.push_back(std::move(v));
  if (log.Append(0, {.sizes = {20}}) != Outcome::kAck) out.push_back({"append", "no append after recovery"});
  return out;
}

void Report(TortureRun& run, const std::string& where, const std::vector<Violation>& violations, int* printed) {
  run.AddRun();
  run.AddViolations(violations.size());
  for (const Violation& v : violations) {
    if ((*printed)++ < 20) fmt::print("{}: {}: {}\n", where, v.invariant, v.detail);
  }
}

}  // namespace

TEST_CASE("PowerLossAtEveryOperationOfTheScenarioKeepsEveryAcknowledgedEvent") {
  TortureRun run("power_loss_every_operation");
  const std::vector<FaultOp> ops = ScenarioOperations();
  uint64_t refused = 0;
  int printed = 0;
  const int models = run.long_mode() ? 50 : 1;  // seeds of the realistic model per operation
  // A sanitizer build alternates the two models from one operation to the next.
  const bool alternate = TortureRun::sanitized() && !run.long_mode();
  for (size_t i = 0; i < ops.size(); ++i) {
    for (int m = -1; m < models; ++m) {
      const bool realistic = m >= 0;
      if (alternate && realistic != (i % 2 == 1)) continue;
      testing::FaultFileSystem fs;
      if (realistic) fs.SetPowerLossModel({.seed = run.SubSeed(i * 1000 + static_cast<uint64_t>(m))});
      Scenario s(fs);
      fs.CrashAfter(static_cast<int>(i), i % 3 == 0 ? 100 : 0);
      s.Run(/*stop_at_crash=*/true);
      s.log().PowerLoss();
      auto violations = RecoverAndCheck(fs, s, std::nullopt, Fault::kIOError, &refused);
      run.AddEvents(s.log().events_appended());
      Report(run, fmt::format("crash at operation {} ({}), {} power loss", i, Name(ops[i]),
                              realistic ? "realistic" : "deterministic"),
             violations, &printed);
    }
  }
  run.AddField("operations", ops.size());
  run.AddField("refused", refused);
  run.Finish();
  CHECK(run.violations() == 0);
  CHECK(ops.size() > 100);
}

TEST_CASE("AFailureAtEveryOperationOfTheScenarioThenPowerLossThenAFailingRecoveryKeepsEveryAcknowledgedEvent") {
  TortureRun run("failure_every_operation");
  const std::vector<FaultOp> ops = ScenarioOperations();
  std::mt19937_64 rng(run.seed());
  const int recovery_points = run.long_mode() ? 12 : 1;  // second failures tried per operation
  uint64_t refused = 0, failed_recoveries = 0;
  int printed = 0;
  for (size_t i = 0; i < ops.size(); ++i) {
    for (int r = 0; r < recovery_points; ++r) {
      const int second = run.long_mode() ? r : static_cast<int>(rng() % 8);
      const Fault second_fault = static_cast<Fault>(rng() % 3);
      testing::FaultFileSystem fs;
      fs.SetPowerLossModel({.seed = run.SubSeed(i * 1000 + static_cast<uint64_t>(r))});
      Scenario s(fs);
      fs.FailMutation(static_cast<int>(i), FaultFor(ops[i], i));
      s.Run(/*stop_at_crash=*/false);
      fs.ClearFaults();
      s.log().PowerLoss();
      auto violations = RecoverAndCheck(fs, s, second, second_fault, &refused, &failed_recoveries);
      run.AddEvents(s.log().events_appended());
      Report(run, fmt::format("{} fails at operation {}, recovery fails at its operation {}", Name(ops[i]), i, second),
             violations, &printed);
    }
  }
  run.AddField("operations", ops.size());
  run.AddField("refused", refused);
  run.AddField("failed_recoveries", failed_recoveries);
  run.Finish();
  CHECK(run.violations() == 0);
  CHECK(failed_recoveries > 0);
}

}  // namespace eventlog::torture
