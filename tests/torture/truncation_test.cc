// Issue 9, test 3 (truncation): the active segment of a reference log cut at every byte.
// With a HEAD that lags (the one a power loss leaves: naming the closed segment, or the
// active one at its start), readers and a writer's recovery find exactly the batches that lie
// wholly inside the prefix, none of the others, and a half batch never; the writer then
// appends after them and verify finds nothing wrong. A prefix shorter than the segment
// header is damage, refused. With HEAD naming the whole segment, any
// shorter prefix has lost committed data: readers and recovery refuse it, and change nothing.
#include <doctest/doctest.h>

#include <tuple>

#include <fmt/format.h>

#include "eventlog/verify.h"
#include "format.h"
#include "reference_log.h"
#include "torture_log.h"
#include "torture_run.h"

namespace eventlog::torture {
namespace {

std::string Describe(const Result<std::vector<LogEvent>>& got) {
  if (!got) return "an error: " + got.status().message();
  return fmt::format("{} events{}", got->size(), got->empty() ? "" : fmt::format(", the last at offset {}", got->back().offset));
}

// A lagging HEAD: readers, then recovery, find exactly `expected`; recovery leaves a log that
// verifies and takes the next offset. Returns what went wrong, empty if nothing.
std::string CheckLaggingHead(const ReferenceLog& ref, const std::string& prefix, const std::string& head,
                             const std::vector<LogEvent>& expected) {
  testing::FaultFileSystem fs;
  ref.Install(fs, {{ref.active_path, prefix}, {ref.head_path, head}});
  auto log = Log::Open(ReferenceLog::kDir, {.fs = &fs});
  if (!log) return "the log does not open: " + log.status().message();
  auto seen = ReadEvents(**log);
  if (!seen || *seen != expected) return fmt::format("a reader got {}, not {} events", Describe(seen), expected.size());
  if (*fs.Contents(ref.active_path) != prefix) return "a reader changed the segment";
  Status recovered = (*log)->Recover();
  if (!recovered.ok()) return "recovery failed: " + recovered.message();
  auto kept = ReadEvents(**log);
  if (!kept || *kept != expected) return fmt::format("after recovery, {}, not {} events", Describe(kept), expected.size());
  auto report = VerifyLog(**log);
  if (!report || report->corrupt()) return "verify after recovery: " + (report ? report->problems[0].message : report.status().message());
  Batch batch = (*log)->NewBatch();
  REQUIRE(batch.Add({.payload = "after"}).ok());
  auto appended = (*log)->Append(batch);
  const uint64_t next = expected.empty() ? 0 : expected.back().offset + 1;
  if (!appended || appended->first_offset != next) return fmt::format("the next append got {}", appended ? std::to_string(appended->first_offset) : appended.status().message());
  return "";
}

// A segment header cut short cannot come from a crash (a segment is created whole under a
// temporary name, synced, then renamed): it is damage, which recovery refuses, changing
// nothing. Readers may still show what HEAD vouches for, never any of the active segment.
std::string CheckCutHeader(const ReferenceLog& ref, const std::string& prefix, const std::string& head) {
  testing::FaultFileSystem fs;
  ref.Install(fs, {{ref.active_path, prefix}, {ref.head_path, head}});
  auto log = Log::Open(ReferenceLog::kDir, {.fs = &fs});
  if (!log) return "the log does not open: " + log.status().message();
  auto seen = ReadEvents(**log);
  if (seen && *seen != ref.EventsBelow(0)) return "a reader got " + Describe(seen);
  if (!seen && seen.status().code() != StatusCode::kCorruption) return "a reader failed: " + seen.status().message();
  Status recovered = (*log)->Recover();
  if (recovered.code() != StatusCode::kCorruption) return "recovery did not report corruption: " + recovered.message();
  if (*fs.Contents(ref.active_path) != prefix) return "recovery changed the damaged segment";
  return "";
}

// HEAD names the whole segment: a shorter one has lost committed data.
std::string CheckExactHead(const ReferenceLog& ref, const std::string& prefix, bool whole) {
  testing::FaultFileSystem fs;
  ref.Install(fs, {{ref.active_path, prefix}});
  auto log = Log::Open(ReferenceLog::kDir, {.fs = &fs});
  if (!log) return "the log does not open: " + log.status().message();
  auto seen = ReadEvents(**log);
  Status recovered = (*log)->Recover();
  if (whole) {
    if (!seen || *seen != ref.EventsBelow(prefix.size())) return "the whole log reads as " + Describe(seen);
    return recovered.ok() ? "" : "recovery of the whole log failed: " + recovered.message();
  }
  if (seen || seen.status().code() != StatusCode::kCorruption) return "a reader got " + Describe(seen) + ", not corruption";
  if (recovered.code() != StatusCode::kCorruption) return "recovery did not report corruption: " + recovered.message();
  if (*fs.Contents(ref.active_path) != prefix) return "recovery changed the damaged segment";
  return "";
}

}  // namespace

TEST_CASE("EveryPrefixOfTheActiveSegmentRecoversExactlyTheBatchesWhollyInsideIt") {
  TortureRun run("truncation_every_byte");
  // About 6 KB of active segment in CI, 2.5 KB in a sanitizer build, 62 KB in long mode.
  const uint64_t segment_bytes = run.long_mode() ? 64 * 1024 : TortureRun::sanitized() ? 4096 : 8192;
  const ReferenceLog ref = BuildReferenceLog(1, segment_bytes, segment_bytes - (TortureRun::sanitized() ? 2000 : 2048));
  const std::string& active = ref.files.at(ref.active_path);
  int printed = 0;
  auto report = [&](uint64_t length, const char* head, const std::string& problem) {
    run.AddRun();
    if (problem.empty()) return;
    run.AddViolations(1);
    if (printed++ < 20) fmt::print("prefix of {} bytes, {} HEAD: {}\n", length, head, problem);
  };
  // A sanitizer build, forty times slower, checks each prefix with one of the three HEADs
  // in turn: every byte is still cut, and the optimised pass checks all three everywhere.
  const bool rotate = TortureRun::sanitized() && !run.long_mode();
  for (uint64_t length = 0; length <= active.size(); ++length) {
    const std::string prefix = active.substr(0, length);
    const std::vector<LogEvent> expected = ref.EventsBelow(length);
    run.AddEvents(expected.size());
    auto chosen = [&](int variant) { return !rotate || length % 3 == static_cast<uint64_t>(variant); };
    for (const auto& [variant, name, head] :
         {std::tuple{0, "closed-segment", ref.stale_head}, std::tuple{1, "rolled", ref.rolled_head}}) {
      if (!chosen(variant)) continue;
      report(length, name,
             length < format::segment::kHeaderSize ? CheckCutHeader(ref, prefix, head)
                                                   : CheckLaggingHead(ref, prefix, head, expected));
    }
    if (chosen(2)) report(length, "exact", CheckExactHead(ref, prefix, length == active.size()));
  }
  run.AddField("bytes", active.size());
  run.AddField("batches", ref.batches.size());
  run.Finish();
  CHECK(run.violations() == 0);
}

}  // namespace eventlog::torture
