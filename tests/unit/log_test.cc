#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <thread>
#include <vector>

#include "coding.h"
#include "format.h"
#include "segment.h"
#include "test_helpers.h"

namespace eventlog::test {

static std::string ThreadEvent(int thread, int i) { return "t" + std::to_string(thread) + "-" + std::to_string(i); }

TEST_CASE("AppendedEventsReadBackWithOffsetsKeysHeadersAndBinaryPayloads") {
  TestLog t;
  std::string binary;
  for (int c = 0; c < 256; ++c) binary.push_back(static_cast<char>(c));
  HeaderView headers[] = {{"type", "created"}, {"bin", std::string_view("\0\xff", 2)}};
  Batch batch = t.log().NewBatch();
  REQUIRE(batch.Add({.payload = "first"}).ok());
  REQUIRE(batch.Add({.key = std::string_view("k"), .headers = headers, .payload = binary}).ok());
  REQUIRE(batch.Add({.key = std::string_view(""), .payload = ""}).ok());
  auto appended = t.log().Append(batch);
  REQUIRE(appended.has_value());
  CHECK(appended->first_offset == 0);
  CHECK(appended->count == 3);

  auto events = t.ReadAll();
  REQUIRE(events.has_value());
  REQUIRE(events->size() == 3);
  CHECK((*events)[0].offset == 0);
  CHECK_FALSE((*events)[0].key.has_value());
  CHECK((*events)[1].key == "k");
  CHECK((*events)[1].headers.size() == 2);
  CHECK((*events)[1].headers[1].second == std::string("\0\xff", 2));
  CHECK((*events)[1].payload == binary);
  CHECK((*events)[2].key == "");
  CHECK((*events)[2].payload.empty());
  CHECK((*events)[2].offset == 2);
}

TEST_CASE("TimestampsAreAssignedAndNeverDecrease") {
  TestLog t;
  for (int i = 0; i < 20; ++i) REQUIRE(t.Append({"e"}).has_value());
  auto events = t.ReadAll();
  REQUIRE(events.has_value());
  for (size_t i = 1; i < events->size(); ++i) CHECK((*events)[i].timestamp >= (*events)[i - 1].timestamp);
  CHECK(events->front().timestamp > 1'600'000'000'000'000'000);
}

TEST_CASE("OversizedEventIsRefusedWithAClearError") {
  TestLog t({.segment_bytes = 64 * 1024, .max_event_bytes = 1000});
  Batch batch = t.log().NewBatch();
  Status s = batch.Add({.payload = std::string(1000, 'x')});
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(s.message().find("maximum event size of 1000") != std::string::npos);
  CHECK(batch.empty());
}

// Batch::EventBytes tells a caller beforehand what Add and AddAt will decide, with a key
// and headers too, for every payload size across the maximum.
TEST_CASE("EventBytesIsTheSizeAddAndAddAtCompareWithTheMaximum") {
  TestLog t({.segment_bytes = 64 * 1024, .max_event_bytes = 1000});
  const std::vector<HeaderView> headers = {{"h", "v"}, {"name", ""}};
  int fitting = 0, refused = 0;
  for (size_t payload = 960; payload <= 1000; ++payload) {
    CAPTURE(payload);
    const std::string bytes(payload, 'x');
    const EventInput event{.key = "k", .headers = headers, .payload = bytes};
    const bool fits = Batch::EventBytes(event) <= 1000;
    ++(fits ? fitting : refused);
    Batch plain = t.log().NewBatch();
    CHECK(plain.Add(event).ok() == fits);
    Batch preset = t.log().NewBatch();
    CHECK(preset.AddAt(event, 0, 1'000'000'000'000).ok() == fits);
  }
  CHECK(fitting > 0);
  CHECK(refused > 0);
}

TEST_CASE("SegmentsRollAtTheConfiguredSizeAndReadAcrossThem") {
  TestLog t({.segment_bytes = 4096});
  for (int i = 0; i < 100; ++i) REQUIRE(t.Append({std::string(100, 'a' + i % 26)}).has_value());
  auto info = t.log().Info();
  REQUIRE(info.has_value());
  CHECK(info->segment_count > 3);
  CHECK(info->next_offset == 100);
  auto payloads = t.Payloads();
  REQUIRE(payloads.size() == 100);
  for (int i = 0; i < 100; ++i) CHECK(payloads[i] == std::string(100, 'a' + i % 26));
  // Every segment stays within the limit, and every closed one was filled to within one
  // frame of it before the roll (a frame here is under 256 bytes).
  auto names = t.fs().ListDir(TestLog::kDir);
  REQUIRE(names.has_value());
  std::vector<uint64_t> bases;
  for (const std::string& name : *names) {
    uint64_t base = 0;
    if (ParseSegmentFileName(name, &base)) bases.push_back(base);
  }
  std::sort(bases.begin(), bases.end());
  REQUIRE(bases.size() == info->segment_count);
  for (size_t i = 0; i < bases.size(); ++i) {
    CAPTURE(bases[i]);
    const size_t size = t.Contents(t.SegmentPath(bases[i])).size();
    CHECK(size <= 4096);
    if (i + 1 < bases.size()) CHECK(size > 4096 - 256);
  }
}

TEST_CASE("SeekToOffsetUsesTheIndexAndLandsOnTheExactEvent") {
  TestLog t({.segment_bytes = 1 << 20});
  for (int i = 0; i < 50; ++i) REQUIRE(t.Append(Numbered("e", i * 20, 20)).has_value());
  auto reader = t.log().NewReader();
  REQUIRE(reader.has_value());
  for (uint64_t target : {0ull, 1ull, 499ull, 777ull, 999ull}) {
    REQUIRE((*reader)->SeekToOffset(target).ok());
    Event e;
    auto more = (*reader)->Next(&e);
    REQUIRE(more.has_value());
    REQUIRE(*more);
    CHECK(e.offset == target);
    CHECK(e.payload == "e" + std::to_string(target));
  }
  CHECK(t.Contents(std::string(TestLog::kDir) + "/" + IndexFileName(0)).size() > format::index::kHeaderSize);
}

TEST_CASE("SeekToTimeFindsTheFirstEventAtOrAfterTheTime") {
  TestLog t({.segment_bytes = 4096});
  for (int i = 0; i < 60; ++i) REQUIRE(t.Append({std::string(90, 'x') + std::to_string(i)}).has_value());
  auto events = t.ReadAll();
  REQUIRE(events.has_value());
  auto reader = t.log().NewReader();
  REQUIRE(reader.has_value());
  for (size_t i : {size_t{0}, size_t{17}, size_t{59}}) {
    REQUIRE((*reader)->SeekToTime((*events)[i].timestamp).ok());
    Event e;
    REQUIRE((*reader)->Next(&e).value());
    CHECK(e.timestamp_ns == (*events)[i].timestamp);
    CHECK(e.offset <= (*events)[i].offset);  // equal timestamps: the earliest such event
  }
}

// Found by the index fuzz target: an index entry whose timestamp was damaged to an earlier
// value passed ReadIndex (which checked only offsets and positions), steered the binary
// search past the target, and the intact entry the search then landed on was trusted: the
// seek started after events it should have returned. The index is a cache; it must never
// change an answer.
TEST_CASE("SeekToTimeIsNotMisledByAnIndexEntryWithAnEarlierTimestamp") {
  TestLog t({.segment_bytes = 1 << 20});
  for (uint64_t i = 0; i < 60; ++i) {
    Batch batch = t.log().NewBatch();
    REQUIRE(batch.AddAt({.payload = std::string(1000, 'x')}, i, static_cast<int64_t>(i) * 1000).ok());
    REQUIRE(t.log().Append(batch).has_value());
  }
  namespace x = format::index;
  const std::string path = std::string(TestLog::kDir) + "/" + IndexFileName(0);
  std::string index = t.Contents(path);
  const size_t entries = (index.size() - x::kHeaderSize) / x::kEntrySize;
  REQUIRE(entries >= 8);
  PutFixed64(index.data() + x::kHeaderSize + entries / 2 * x::kEntrySize + x::kEntryTimeAt,
             static_cast<uint64_t>(INT64_MIN));
  t.SetContents(path, index);
  auto reader = t.log().NewReader();
  REQUIRE(reader.has_value());
  for (uint64_t i = 0; i < 60; ++i) {
    CAPTURE(i);
    REQUIRE((*reader)->SeekToTime(static_cast<int64_t>(i) * 1000 - 1).ok());
    Event e;
    REQUIRE((*reader)->Next(&e).value());
    CHECK(e.offset == i);
  }
}

TEST_CASE("LargeAtomicBatchSpansFramesAndIsVisibleWhole") {
  TestLog t({.segment_bytes = 64 << 20});
  std::vector<std::string> payloads = Numbered(std::string(1000, 'p'), 0, 3000);  // ~3 MB: many frames
  REQUIRE(t.Append({"before"}).has_value());
  auto appended = t.Append(payloads);
  REQUIRE(appended.has_value());
  CHECK(appended->first_offset == 1);
  auto read = t.Payloads();
  REQUIRE(read.size() == 3001);
  CHECK(read[3000] == payloads.back());
}

TEST_CASE("AtUnitEndMarksTheLastEventOfEachBatchAlsoAcrossFrames") {
  TestLog t({.segment_bytes = 64 << 20});
  REQUIRE(t.Append({"a", "b", "c"}).has_value());
  REQUIRE(t.Append(Numbered(std::string(1000, 'p'), 0, 1500)).has_value());  // ~1.5 MB: several frames
  REQUIRE(t.Append({"z"}).has_value());
  auto reader = t.log().NewReader();
  REQUIRE(reader.has_value());
  std::vector<uint64_t> ends;
  Event event;
  while (true) {
    auto more = (*reader)->Next(&event);
    REQUIRE(more.has_value());
    if (!*more) break;
    if ((*reader)->at_unit_end()) ends.push_back(event.offset);
  }
  CHECK(ends == std::vector<uint64_t>{2, 1502, 1503});
}

TEST_CASE("BatchLargerThanASegmentIsRefusedWithNothingAppended") {
  TestLog t({.segment_bytes = 8192});
  Batch batch = t.log().NewBatch();
  Status s;
  for (int i = 0; i < 200 && s.ok(); ++i) s = batch.Add({.payload = std::string(100, 'x')});
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(s.message().find("segment") != std::string::npos);
  CHECK(t.Payloads().empty());
}

TEST_CASE("ExpectNextConflictAppendsNothing") {
  TestLog t;
  REQUIRE(t.Append({"a", "b"}).has_value());
  auto conflict = t.Append({"c"}, {.expect_next = 5});
  CHECK(conflict.status().code() == StatusCode::kConflict);
  auto ok = t.Append({"c"}, {.expect_next = 2});
  REQUIRE(ok.has_value());
  CHECK(ok->first_offset == 2);
  CHECK(t.Payloads() == std::vector<std::string>{"a", "b", "c"});
}

TEST_CASE("ConcurrentThreadsAreGroupCommittedWithoutLossAndInOrderPerThread") {
  TestLog t;
  constexpr int kThreads = 4, kPerThread = 200;
  std::vector<std::thread> threads;
  for (int n = 0; n < kThreads; ++n) {
    threads.emplace_back([&t, n] {
      for (int i = 0; i < kPerThread; ++i) REQUIRE(t.Append({ThreadEvent(n, i)}).has_value());
    });
  }
  for (auto& th : threads) th.join();
  auto payloads = t.Payloads();
  REQUIRE(payloads.size() == kThreads * kPerThread);
  std::vector<int> next(kThreads, 0);
  for (const std::string& p : payloads) {
    int n = p[1] - '0';
    CHECK(p == ThreadEvent(n, next[n]));
    ++next[n];
  }
}

TEST_CASE("ReopenedLogContinuesOffsetsAndTheChain") {
  TestLog t({.segment_bytes = 4096});
  for (int i = 0; i < 40; ++i) REQUIRE(t.Append({std::string(200, 'z')}).has_value());
  REQUIRE(t.Reopen().ok());
  auto appended = t.Append({"after"});
  REQUIRE(appended.has_value());
  CHECK(appended->first_offset == 40);
  REQUIRE(t.Reopen().ok());
  REQUIRE(t.log().Recover().ok());
  CHECK(t.log().recovery_notes().empty());
  CHECK(t.Payloads().back() == "after");
}

TEST_CASE("FailedFsyncPutsTheAppenderInTheFailedStateUntilReopened") {
  TestLog t;
  REQUIRE(t.Append({"durable"}).has_value());
  t.fs().FailNext(testing::FaultOp::kSync);
  CHECK(t.Append({"lost?"}).status().code() == StatusCode::kFailed);
  CHECK(t.Append({"refused"}).status().code() == StatusCode::kFailed);  // never retried and trusted
  REQUIRE(t.Reopen().ok());
  REQUIRE(t.Append({"again"}).has_value());
  auto payloads = t.Payloads();
  CHECK(payloads.front() == "durable");
  CHECK(payloads.back() == "again");
}

TEST_CASE("WriteErrorIsNotAcknowledgedAndTheNextAppendRepairsTheTail") {
  TestLog t;
  REQUIRE(t.Append({"one"}).has_value());
  t.fs().ShortWriteNext(10);
  CHECK(t.Append({"two"}).status().code() == StatusCode::kIOError);
  REQUIRE(t.Append({"three"}).has_value());
  CHECK(t.Payloads() == std::vector<std::string>{"one", "three"});
}

}  // namespace eventlog::test

namespace eventlog::test {

TEST_CASE("SeekToTimePastTheEndPositionsAtTheEndAndWaitsForNewerEvents") {
  TestLog t;
  REQUIRE(t.Append({"a", "b", "c"}).has_value());
  auto events = t.ReadAll();
  REQUIRE(events.has_value());
  auto reader = t.log().NewReader();
  REQUIRE(reader.has_value());
  REQUIRE((*reader)->SeekToTime(events->back().timestamp + 1).ok());
  CHECK((*reader)->position() == 3);
  Event e;
  CHECK_FALSE((*reader)->Next(&e).value());
  REQUIRE(t.Append({"d"}).has_value());
  REQUIRE((*reader)->Next(&e).value());
  CHECK(e.offset == 3);
  CHECK(e.payload == "d");
}

// Runs a one-shot hook right after the next look for META that finds none: another process
// creating the log at that instant, between the opener's checks.
// Each TryLock that finds the lock held, after the first, takes `stall` before it returns:
// the waiting thread misses the moment between a second and its deadline.
class StallingLockFileSystem final : public ForwardingFileSystem {
 public:
  StallingLockFileSystem(testing::FaultFileSystem& fs, std::chrono::milliseconds stall)
      : ForwardingFileSystem(fs), stall_(stall) {}

  Result<std::unique_ptr<FileLock>> TryLock(const std::string& path) override {
    auto lock = fs_.TryLock(path);
    if (lock.has_value() && !*lock && contended_++ > 0) std::this_thread::sleep_for(stall_);
    return lock;
  }

 private:
  std::chrono::milliseconds stall_;
  int contended_ = 0;
};

TEST_CASE("ABoundedLockWaitOfOverASecondSaysSoEvenWhenItsThreadMissedTheSecond") {
  testing::FaultFileSystem fs;
  StallingLockFileSystem stalling(fs, std::chrono::milliseconds(1200));
  std::vector<std::string> notices;
  auto log = Log::Open("/stalled", {.create_if_missing = true,
                                    .fs = &stalling,
                                    .lock_timeout = std::chrono::milliseconds(1100),
                                    .on_lock_wait = [&](const std::string& m) { notices.push_back(m); }});
  REQUIRE_MESSAGE(log.has_value(), log.status().message());
  auto held = fs.Lock("/stalled/LOCK");  // another process's
  REQUIRE(held.has_value());
  Batch batch = (*log)->NewBatch();
  REQUIRE(batch.Add({.payload = "x"}).ok());
  auto appended = (*log)->Append(batch);
  REQUIRE_FALSE(appended.has_value());
  CHECK(appended.status().code() == StatusCode::kBusy);
  REQUIRE(notices.size() == 1);
  CHECK(notices[0].find("waiting for the log's lock") != std::string::npos);
}

class CreationRaceFileSystem final : public ForwardingFileSystem {
 public:
  using ForwardingFileSystem::ForwardingFileSystem;
  void AfterMetaFoundMissing(std::function<void()> hook) { hook_ = std::move(hook); }

  Result<bool> Exists(const std::string& path) override {
    auto exists = fs_.Exists(path);
    if (hook_ && path.ends_with("/META") && exists.has_value() && !*exists) std::exchange(hook_, nullptr)();
    return exists;
  }

 private:
  std::function<void()> hook_;
};

TEST_CASE("OpeningWhileAnotherProcessCreatesTheLogOpensItsLog") {
  // The other process's log starts at offset 7 and holds one event, so the opener's view
  // tells its log from one the opener would have created itself.
  for (bool create_if_missing : {false, true}) {
    CAPTURE(create_if_missing);
    testing::FaultFileSystem fs;
    CreationRaceFileSystem racing(fs);
    racing.AfterMetaFoundMissing([&] {
      auto other = Log::Open("/raced", {.create_if_missing = true, .first_offset = 7, .fs = &fs});
      REQUIRE_MESSAGE(other.has_value(), other.status().message());
      Batch batch = (*other)->NewBatch();
      REQUIRE(batch.Add({.payload = "theirs"}).ok());
      REQUIRE((*other)->Append(batch).has_value());
    });
    auto opened = Log::Open("/raced", {.create_if_missing = create_if_missing, .fs = &racing});
    REQUIRE_MESSAGE(opened.has_value(), opened.status().message());
    auto info = (*opened)->Info();
    REQUIRE(info.has_value());
    CHECK(info->first_offset == 7);
    CHECK(info->next_offset == 8);
  }
}

}  // namespace eventlog::test
