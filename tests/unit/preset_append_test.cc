// Batch::AddAt (events with preset offsets and timestamps) and LogOptions::first_offset:
// what `evlog import` uses to rebuild a log with its original offsets.
#include <doctest/doctest.h>

#include "eventlog/verify.h"
#include "fault_file_system.h"
#include "segment.h"
#include "test_helpers.h"

namespace eventlog::test {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000'000'000;

// A log on the fault-injecting file system, created to start at `first_offset`.
struct OffsetLog {
  explicit OffsetLog(uint64_t first_offset, LogLimits limits = {}) {
    REQUIRE(fs.CreateDir(TestLog::kDir).ok());
    auto opened = Log::Open(TestLog::kDir,
                            {.create_if_missing = true, .limits = limits, .first_offset = first_offset, .fs = &fs});
    REQUIRE_MESSAGE(opened.has_value(), opened.status().message());
    log = std::move(opened).value();
  }
  Result<std::vector<ReadEvent>> ReadAll() {
    EVLOG_ASSIGN_OR_RETURN(auto reader, log->NewReader());
    return ReadFrom(*reader);
  }
  void Reopen() {
    log.reset();
    auto opened = Log::Open(TestLog::kDir, {.fs = &fs});
    REQUIRE_MESSAGE(opened.has_value(), opened.status().message());
    log = std::move(opened).value();
  }
  void RequireClean() {
    auto report = VerifyLog(*log);
    REQUIRE(report.has_value());
    for (const VerifyProblem& p : report->problems) FAIL_CHECK(p.file << ": " << p.message);
  }
  testing::FaultFileSystem fs;
  std::unique_ptr<Log> log;
};

std::vector<uint64_t> Offsets(const std::vector<ReadEvent>& events) {
  std::vector<uint64_t> out;
  for (const ReadEvent& e : events) out.push_back(e.offset);
  return out;
}

}  // namespace

TEST_CASE("FirstOffsetNamesTheFirstSegmentAndStartsTheOffsets") {
  OffsetLog t(1000);
  CHECK(t.fs.Contents(std::string(TestLog::kDir) + "/" + SegmentFileName(1000)).has_value());
  CHECK_FALSE(t.fs.Contents(std::string(TestLog::kDir) + "/" + SegmentFileName(0)).has_value());
  auto info = t.log->Info();
  REQUIRE(info.has_value());
  CHECK(info->first_offset == 1000);
  CHECK(info->next_offset == 1000);
  Batch batch = t.log->NewBatch();
  REQUIRE(batch.Add({.payload = "x"}).ok());
  auto appended = t.log->Append(batch);
  REQUIRE(appended.has_value());
  CHECK(appended->first_offset == 1000);
  t.Reopen();
  auto events = t.ReadAll();
  REQUIRE(events.has_value());
  CHECK(Offsets(*events) == std::vector<uint64_t>{1000});
  t.RequireClean();
}

TEST_CASE("AddAtKeepsOffsetsTimestampsKeysAndHeadersIncludingGaps") {
  OffsetLog t(1000);
  HeaderView headers[] = {{"h", std::string_view("\0\xff", 2)}, {"h", "2"}};
  Batch batch = t.log->NewBatch();
  REQUIRE(batch.AddAt({.key = std::string_view(""), .headers = headers, .payload = "a"}, 1000, kT0).ok());
  REQUIRE(batch.AddAt({.payload = std::string_view("\0b", 2)}, 1001, kT0).ok());
  REQUIRE(batch.AddAt({.key = std::string_view("k"), .payload = "c"}, 1005, kT0 + 7).ok());  // gap 1002..1004
  auto appended = t.log->Append(batch);
  REQUIRE_MESSAGE(appended.has_value(), appended.status().message());
  CHECK(appended->first_offset == 1000);
  t.Reopen();
  auto events = t.ReadAll();
  REQUIRE(events.has_value());
  REQUIRE(Offsets(*events) == std::vector<uint64_t>{1000, 1001, 1005});
  CHECK((*events)[0].timestamp == kT0);
  CHECK((*events)[2].timestamp == kT0 + 7);
  CHECK((*events)[0].key == "");
  CHECK_FALSE((*events)[1].key.has_value());
  CHECK((*events)[0].headers.size() == 2);
  CHECK((*events)[0].headers[0].second == std::string("\0\xff", 2));
  CHECK((*events)[1].payload == std::string("\0b", 2));
  auto info = t.log->Info();
  REQUIRE(info.has_value());
  CHECK(info->next_offset == 1006);
  CHECK(info->last_timestamp_ns == kT0 + 7);
  t.RequireClean();
}

TEST_CASE("AppendAfterAPresetBatchContinuesOffsetsWithTimestampsNotBelowIt") {
  OffsetLog t(0);
  const int64_t future = kT0 * 2;  // year ~2077: above the clock
  Batch preset = t.log->NewBatch();
  REQUIRE(preset.AddAt({.payload = "p"}, 0, future).ok());
  REQUIRE(t.log->Append(preset).has_value());
  Batch plain = t.log->NewBatch();
  REQUIRE(plain.Add({.payload = "q"}).ok());
  REQUIRE(t.log->Append(plain).has_value());
  auto events = t.ReadAll();
  REQUIRE(events.has_value());
  REQUIRE(events->size() == 2);
  CHECK((*events)[1].offset == 1);
  CHECK((*events)[1].timestamp >= future);
}

TEST_CASE("AddAtRefusesOffsetsOrTimestampsOutOfOrderAndLeavesTheBatchUnchanged") {
  OffsetLog t(0);
  Batch batch = t.log->NewBatch();
  REQUIRE(batch.AddAt({.payload = "a"}, 5, kT0).ok());
  CHECK(batch.AddAt({.payload = "b"}, 5, kT0).code() == StatusCode::kInvalidArgument);
  CHECK(batch.AddAt({.payload = "b"}, 4, kT0).code() == StatusCode::kInvalidArgument);
  Status backwards = batch.AddAt({.payload = "b"}, 6, kT0 - 1);
  CHECK(backwards.code() == StatusCode::kInvalidArgument);
  CHECK(backwards.message().find("must not decrease") != std::string::npos);
  CHECK(batch.AddAt({.payload = "b"}, UINT64_MAX, kT0).code() == StatusCode::kInvalidArgument);
  CHECK(batch.event_count() == 1);
  CHECK(batch.Add({.payload = "plain"}).code() == StatusCode::kInvalidArgument);
  Batch plain = t.log->NewBatch();
  REQUIRE(plain.Add({.payload = "plain"}).ok());
  CHECK(plain.AddAt({.payload = "b"}, 0, kT0).code() == StatusCode::kInvalidArgument);
}

TEST_CASE("PresetBatchIsRefusedUnlessItStartsAtTheNextOffset") {
  OffsetLog t(0);
  REQUIRE(t.log->Append([&] {
                  Batch b = t.log->NewBatch();
                  REQUIRE(b.Add({.payload = "x"}).ok());
                  return b;
                }())
              .has_value());
  for (uint64_t start : {0, 2}) {
    Batch batch = t.log->NewBatch();
    REQUIRE(batch.AddAt({.payload = "y"}, start, kT0 * 2).ok());
    auto appended = t.log->Append(batch);
    REQUIRE_FALSE(appended.has_value());
    CHECK(appended.error().code() == StatusCode::kInvalidArgument);
    CHECK(appended.error().message().find("next offset is 1") != std::string::npos);
  }
  auto events = t.ReadAll();
  REQUIRE(events.has_value());
  CHECK(events->size() == 1);
}

TEST_CASE("PresetBatchIsRefusedIfItsTimestampsGoBelowTheLogs") {
  OffsetLog t(0);
  Batch first = t.log->NewBatch();
  REQUIRE(first.AddAt({.payload = "a"}, 0, kT0).ok());
  REQUIRE(t.log->Append(first).has_value());
  Batch older = t.log->NewBatch();
  REQUIRE(older.AddAt({.payload = "b"}, 1, kT0 - 1).ok());
  auto appended = t.log->Append(older);
  REQUIRE_FALSE(appended.has_value());
  CHECK(appended.error().code() == StatusCode::kInvalidArgument);
  Batch same = t.log->NewBatch();
  REQUIRE(same.AddAt({.payload = "b"}, 1, kT0).ok());
  CHECK(t.log->Append(same).has_value());
}

TEST_CASE("EmptyLogAcceptsPresetTimestampsBeforeTheEpoch") {
  OffsetLog t(0);
  Batch batch = t.log->NewBatch();
  REQUIRE(batch.AddAt({.payload = "old"}, 0, -5).ok());
  REQUIRE(t.log->Append(batch).has_value());
  auto events = t.ReadAll();
  REQUIRE(events.has_value());
  REQUIRE(events->size() == 1);
  CHECK((*events)[0].timestamp == -5);
}

TEST_CASE("PresetEventAtTheMaximumSizeStartsAFrameRatherThanGrowByItsDeltas") {
  OffsetLog t(0, {.segment_bytes = 4096, .max_event_bytes = 100});
  const std::string payload(95, 'p');  // a record of exactly 100 bytes with zero deltas
  Batch batch = t.log->NewBatch();
  REQUIRE(batch.AddAt({.payload = payload}, 0, kT0).ok());
  Status s = batch.AddAt({.payload = payload}, 1, kT0 + 1'000'000'000'000);  // a 6-byte time delta
  REQUIRE_MESSAGE(s.ok(), s.message());
  // With a gap the event cannot start a frame, so it does not fit.
  CHECK(batch.AddAt({.payload = payload}, 5, kT0 + 2'000'000'000'000).code() == StatusCode::kInvalidArgument);
  REQUIRE(t.log->Append(batch).has_value());
  auto events = t.ReadAll();
  REQUIRE(events.has_value());
  CHECK(Offsets(*events) == std::vector<uint64_t>{0, 1});
}

TEST_CASE("LargePresetBatchesSplitFramesOnlyWhereOffsetsAreContiguousAndRollSegments") {
  OffsetLog t(100, {.segment_bytes = 4096});
  std::vector<uint64_t> expected;
  uint64_t offset = 100;
  for (int b = 0; b < 20; ++b) {
    // Frames of at most ~64 body bytes: a batch spans several frames, each gap lies inside one.
    Batch batch(1000, 4096 - 64, "/tmp", 64);
    for (int i = 0; i < 12; ++i) {
      REQUIRE(batch.AddAt({.payload = "payload-" + std::to_string(offset)}, offset, kT0 + static_cast<int64_t>(offset)).ok());
      expected.push_back(offset);
      offset += (i % 4 == 3) ? 3 : 1;  // a gap of two offsets after every fourth event
    }
    // The next batch must start at the log's next offset: no gap between batches.
    offset = expected.back() + 1;
    auto appended = t.log->Append(batch);
    REQUIRE_MESSAGE(appended.has_value(), appended.status().message());
  }
  t.Reopen();
  REQUIRE(t.log->Recover().ok());
  auto events = t.ReadAll();
  REQUIRE(events.has_value());
  CHECK(Offsets(*events) == expected);
  auto info = t.log->Info();
  REQUIRE(info.has_value());
  CHECK(info->segment_count > 1);
  CHECK(info->next_offset == expected.back() + 1);
  t.RequireClean();
}

TEST_CASE("PresetBatchAllowingALeadingGapStartsANewSegmentAtItsFirstOffset") {
  OffsetLog t(10);
  Batch first = t.log->NewBatch();
  REQUIRE(first.AddAt({.payload = "a"}, 10, kT0).ok());
  REQUIRE(first.AddAt({.payload = "b"}, 12, kT0).ok());
  REQUIRE(t.log->Append(first).has_value());
  Batch second = t.log->NewBatch();
  REQUIRE(second.AddAt({.payload = "c"}, 15, kT0 + 1).ok());
  auto refused = t.log->Append(second);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.status().code() == StatusCode::kInvalidArgument);
  second.AllowLeadingGap();
  auto appended = t.log->Append(second);
  REQUIRE_MESSAGE(appended.has_value(), appended.status().message());
  CHECK(t.fs.Contents(std::string(TestLog::kDir) + "/" + SegmentFileName(15)).has_value());
  t.Reopen();
  Batch third = t.log->NewBatch();
  REQUIRE(third.Add({.payload = "d"}).ok());
  auto continued = t.log->Append(third);
  REQUIRE(continued.has_value());
  CHECK(continued->first_offset == 16);
  auto events = t.ReadAll();
  REQUIRE(events.has_value());
  CHECK(Offsets(*events) == std::vector<uint64_t>{10, 12, 15, 16});
  t.RequireClean();
}

TEST_CASE("LeadingGapIsRefusedInALogWithoutAFrame") {
  OffsetLog t(10);
  Batch batch = t.log->NewBatch();
  REQUIRE(batch.AddAt({.payload = "a"}, 11, kT0).ok());
  batch.AllowLeadingGap();
  auto refused = t.log->Append(batch);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.status().code() == StatusCode::kInvalidArgument);
}

}  // namespace eventlog::test
