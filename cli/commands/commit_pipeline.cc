#include "commands/commit_pipeline.h"

#include <utility>

namespace evlog {

CommitPipeline::CommitPipeline(CommitFn commit, eventlog::Batch spare)
    : commit_(std::move(commit)), in_flight_(std::move(spare)), thread_([this] { Run(); }) {}

CommitPipeline::~CommitPipeline() {
  {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return !busy_; });
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

eventlog::Status CommitPipeline::WaitIdleLocked(std::unique_lock<std::mutex>& lock) {
  changed_.wait(lock, [this] { return !busy_; });
  return failed_;
}

eventlog::Status CommitPipeline::Submit(eventlog::Batch* batch) {
  {
    std::unique_lock lock(mutex_);
    EVLOG_RETURN_IF_ERROR(WaitIdleLocked(lock));
    // The committed batch, emptied by commit_, goes back to the caller to be filled again.
    std::swap(*batch, in_flight_);
    busy_ = true;
  }
  changed_.notify_all();
  return eventlog::Status::Ok();
}

eventlog::Status CommitPipeline::Drain() {
  std::unique_lock lock(mutex_);
  return WaitIdleLocked(lock);
}

void CommitPipeline::Run() {
  std::unique_lock lock(mutex_);
  while (true) {
    changed_.wait(lock, [this] { return busy_ || stopping_; });
    if (!busy_) return;
    lock.unlock();
    eventlog::Status status = commit_(in_flight_);
    lock.lock();
    if (!status.ok()) {
      failed_ = std::move(status);
      in_flight_.Clear();
    }
    busy_ = false;
    changed_.notify_all();
  }
}

}  // namespace evlog
