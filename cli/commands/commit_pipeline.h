// Commits an append's batches on a second thread, so that the next batch is read and
// encoded while the previous one is written and synced: with two cores, parsing the input
// and the log's write and fdatasync overlap instead of taking turns.
//
// One batch at most is in flight, and commits happen in the order batches are submitted,
// so nothing about what `evlog append` promises changes: a batch is durable before it is
// published, offsets are printed only after their commit returned, and a failed commit
// stops the pipeline with its error (batches submitted after it are never committed).
#pragma once

#include <functional>

#include "commands/job_thread.h"
#include "eventlog/batch.h"
#include "eventlog/status.h"

namespace evlog {

class CommitPipeline {
 public:
  // commit appends the batch it is given and empties it; it runs on the pipeline's thread.
  using CommitFn = std::function<eventlog::Status(eventlog::Batch& batch)>;

  // spare: an empty batch of the log's, handed back by the first Submit.
  CommitPipeline(CommitFn commit, eventlog::Batch spare);
  ~CommitPipeline();  // waits for the batch in flight
  CommitPipeline(const CommitPipeline&) = delete;
  CommitPipeline& operator=(const CommitPipeline&) = delete;

  // Waits for the batch in flight; if it failed (or an earlier one did), returns that error
  // and takes nothing. Otherwise starts committing *batch and leaves an empty batch in its
  // place.
  eventlog::Status Submit(eventlog::Batch* batch);

  // Waits until no batch is in flight; returns the first error of any commit.
  eventlog::Status Drain();

 private:
  CommitFn commit_;
  eventlog::Batch in_flight_;
  bool busy_ = false;        // in_flight_ is the thread's
  eventlog::Status failed_;  // the first failure; the pipeline commits nothing after it
  JobThread thread_;         // last: started once everything it reads is constructed
};

}  // namespace evlog
