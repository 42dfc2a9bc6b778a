// Commits an append's batches on a second thread, so that the next batch is read and
// encoded while the previous one is written and synced: with two cores, parsing the input
// and the log's write and fdatasync overlap instead of taking turns.
//
// Commits happen one at a time, in the order batches are submitted, so nothing about what
// `evlog append` promises changes: a batch is durable before it is published, offsets are
// printed only after their commit returned, and a failed commit stops the pipeline with its
// error (batches submitted after it are never committed). How many batches may wait at
// once is the number of spares: one for the serial loop (the batch in flight), two when
// two threads decode (decode_helper.h), which submit two batches per round.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "eventlog/batch.h"
#include "eventlog/status.h"

namespace evlog {

class CommitPipeline {
 public:
  // commit appends the batch it is given and empties it; it runs on the pipeline's thread.
  using CommitFn = std::function<eventlog::Status(eventlog::Batch& batch)>;

  // spares: empty batches of the log's, handed back by Submit; as many batches may wait to
  // be committed at once (at least one).
  CommitPipeline(CommitFn commit, std::vector<eventlog::Batch> spares);
  ~CommitPipeline();  // waits for the batches submitted
  CommitPipeline(const CommitPipeline&) = delete;
  CommitPipeline& operator=(const CommitPipeline&) = delete;

  // Waits until a spare is free; if a commit failed, returns that error and takes nothing.
  // Otherwise queues *batch to be committed and leaves an empty batch in its place.
  eventlog::Status Submit(eventlog::Batch* batch);

  // Waits until every batch submitted is committed; returns the first error of any commit.
  eventlog::Status Drain();

 private:
  void Run();

  CommitFn commit_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<eventlog::Batch> waiting_;  // submitted, not yet taken by the thread
  std::vector<eventlog::Batch> spares_;  // empty, to hand back
  bool committing_ = false;  // the thread holds a batch
  bool stopping_ = false;
  eventlog::Status failed_;  // the first failure; the pipeline commits nothing after it
  std::thread thread_;       // last: started once everything it reads is constructed
};

}  // namespace evlog
