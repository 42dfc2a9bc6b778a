#include "commands/commit_pipeline.h"

#include <utility>

namespace evlog {

CommitPipeline::CommitPipeline(CommitFn commit, std::vector<eventlog::Batch> spares)
    : commit_(std::move(commit)), spares_(std::move(spares)), thread_([this] { Run(); }) {}

CommitPipeline::~CommitPipeline() {
  (void)Drain();
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

eventlog::Status CommitPipeline::Submit(eventlog::Batch* batch) {
  {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return !failed_.ok() || !spares_.empty(); });
    if (!failed_.ok()) return failed_;
    // The batch goes to the queue; an emptied one comes back to be filled again.
    waiting_.push_back(std::move(*batch));
    *batch = std::move(spares_.back());
    spares_.pop_back();
  }
  changed_.notify_all();
  return eventlog::Status::Ok();
}

eventlog::Status CommitPipeline::Drain() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] { return waiting_.empty() && !committing_; });
  return failed_;
}

void CommitPipeline::Run() {
  std::unique_lock lock(mutex_);
  while (true) {
    changed_.wait(lock, [this] { return !waiting_.empty() || stopping_; });
    if (waiting_.empty()) return;
    eventlog::Batch batch = std::move(waiting_.front());
    waiting_.pop_front();
    committing_ = true;
    lock.unlock();
    eventlog::Status status = commit_(batch);
    batch.Clear();
    lock.lock();
    committing_ = false;
    spares_.push_back(std::move(batch));
    if (!status.ok()) {
      failed_ = std::move(status);
      // Nothing submitted after a failed batch is committed.
      for (eventlog::Batch& waiting : waiting_) {
        waiting.Clear();
        spares_.push_back(std::move(waiting));
      }
      waiting_.clear();
    }
    changed_.notify_all();
  }
}

}  // namespace evlog
