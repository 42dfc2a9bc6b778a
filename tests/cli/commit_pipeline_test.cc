// CommitPipeline: append's commit thread. What `evlog append` relies on: batches are
// committed one at a time in submission order, the caller gets back an emptied batch,
// a failure stops everything submitted after it, and Drain waits for every batch submitted.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "commands/commit_pipeline.h"
#include "eventlog/batch.h"

namespace evlog {
namespace {

using eventlog::Batch;
using eventlog::Status;

Batch NewBatch() { return Batch(1 << 20, 64 << 20, "/tmp"); }

// A commit that records the batch's size and takes a moment, so that submissions overlap it.
struct RecordingCommit {
  std::vector<uint64_t> committed;  // event counts, in commit order
  std::atomic<int> running{0};
  int most_at_once = 0;
  uint64_t fail_at_count = 0;  // fail the batch holding this many events

  Status operator()(Batch& batch) {
    most_at_once = std::max(most_at_once, ++running);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    const uint64_t count = batch.event_count();
    --running;
    if (count == fail_at_count) return Status::IOError("disk full");
    committed.push_back(count);
    batch.Clear();
    return Status::Ok();
  }
};

// The tests hold for a pipeline where one batch waits (the serial loop's) and where two
// do (two threads decoding).
#define GENERATE_DEPTH() \
  [] {                   \
    int d = 1;           \
    SUBCASE("depth 1") { d = 1; } \
    SUBCASE("depth 2") { d = 2; } \
    return d;            \
  }()

std::vector<Batch> Spares(int n) {
  std::vector<Batch> spares;
  for (int i = 0; i < n; ++i) spares.push_back(NewBatch());
  return spares;
}

void Fill(Batch* batch, uint64_t events) {
  for (uint64_t i = 0; i < events; ++i) REQUIRE(batch->Add({.payload = "e"}).ok());
}

TEST_CASE("APipelineCommitsInOrderOneAtATimeAndHandsBackEmptyBatches") {
  const int depth = GENERATE_DEPTH();
  RecordingCommit recorder;
  CommitPipeline pipeline([&](Batch& b) { return recorder(b); }, Spares(depth));
  Batch batch = NewBatch();
  for (uint64_t n = 1; n <= 20; ++n) {
    Fill(&batch, n);
    REQUIRE(pipeline.Submit(&batch).ok());
    CHECK(batch.event_count() == 0);  // refilled from empty, whichever batch came back
  }
  REQUIRE(pipeline.Drain().ok());
  std::vector<uint64_t> expected;
  for (uint64_t n = 1; n <= 20; ++n) expected.push_back(n);
  CHECK(recorder.committed == expected);
  CHECK(recorder.most_at_once == 1);
}

TEST_CASE("AFailedCommitStopsThePipeline") {
  const int depth = GENERATE_DEPTH();
  RecordingCommit recorder;
  recorder.fail_at_count = 3;
  CommitPipeline pipeline([&](Batch& b) { return recorder(b); }, Spares(depth));
  Batch batch = NewBatch();
  Status last;
  for (uint64_t n = 1; n <= 6 && last.ok(); ++n) {
    Fill(&batch, n);
    last = pipeline.Submit(&batch);
  }
  // The failure surfaces at the first Submit after it, or at Drain; either way nothing
  // submitted after the failed batch was committed.
  Status drained = pipeline.Drain();
  CHECK_FALSE(drained.ok());
  CHECK(drained.message() == "disk full");
  CHECK(recorder.committed == std::vector<uint64_t>{1, 2});
  Batch more = NewBatch();
  Fill(&more, 1);
  CHECK_FALSE(pipeline.Submit(&more).ok());
  CHECK(more.event_count() == 1);  // refused, not taken
  CHECK(recorder.committed == std::vector<uint64_t>{1, 2});
}

TEST_CASE("DestroyingAPipelineWaitsForTheBatchesSubmitted") {
  const int depth = GENERATE_DEPTH();
  RecordingCommit recorder;
  {
    CommitPipeline pipeline([&](Batch& b) { return recorder(b); }, Spares(depth));
    Batch batch = NewBatch();
    Fill(&batch, 7);
    REQUIRE(pipeline.Submit(&batch).ok());
    Fill(&batch, 8);
    REQUIRE(pipeline.Submit(&batch).ok());
  }
  CHECK(recorder.committed == std::vector<uint64_t>{7, 8});
}

}  // namespace
}  // namespace evlog
