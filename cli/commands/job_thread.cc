#include "commands/job_thread.h"

#include <utility>

namespace evlog {

JobThread::JobThread(std::function<void()> job) : job_(std::move(job)), thread_([this] { Run(); }) {}

JobThread::~JobThread() {
  {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return !running_; });
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void JobThread::Start() {
  {
    std::lock_guard lock(mutex_);
    running_ = true;
  }
  changed_.notify_all();
}

void JobThread::Wait() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] { return !running_; });
}

void JobThread::Run() {
  std::unique_lock lock(mutex_);
  while (true) {
    changed_.wait(lock, [this] { return running_ || stopping_; });
    if (!running_) return;
    lock.unlock();
    job_();
    lock.lock();
    running_ = false;
    changed_.notify_all();
  }
}

}  // namespace evlog
