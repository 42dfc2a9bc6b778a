#include "commands/commit_pipeline.h"

#include <utility>

namespace evlog {

CommitPipeline::CommitPipeline(CommitFn commit, eventlog::Batch spare)
    : commit_(std::move(commit)), in_flight_(std::move(spare)), thread_([this] {
        eventlog::Status status = commit_(in_flight_);
        if (!status.ok()) {
          failed_ = std::move(status);
          in_flight_.Clear();
        }
      }) {}

CommitPipeline::~CommitPipeline() = default;  // thread_ waits for the batch in flight

eventlog::Status CommitPipeline::Submit(eventlog::Batch* batch) {
  EVLOG_RETURN_IF_ERROR(Drain());
  // The committed batch, emptied by commit_, goes back to the caller to be filled again.
  std::swap(*batch, in_flight_);
  busy_ = true;
  thread_.Start();
  return eventlog::Status::Ok();
}

eventlog::Status CommitPipeline::Drain() {
  if (busy_) {
    thread_.Wait();
    busy_ = false;
  }
  return failed_;
}

}  // namespace evlog
