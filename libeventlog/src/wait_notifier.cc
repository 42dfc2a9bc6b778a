#include "wait_notifier.h"

#include <utility>

namespace eventlog {

WaitNotifier::~WaitNotifier() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    armed_.clear();
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

uint64_t WaitNotifier::Arm(Clock::duration patience, std::function<void()> notice) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
  const uint64_t ticket = next_ticket_++;
  armed_.emplace(ticket, Armed{Clock::now() + patience, std::move(notice)});
  changed_.notify_all();
  return ticket;
}

void WaitNotifier::Disarm(uint64_t ticket) {
  std::unique_lock<std::mutex> lock(mu_);
  armed_.erase(ticket);
  changed_.wait(lock, [&] { return running_ != ticket; });
}

void WaitNotifier::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    if (armed_.empty()) {
      changed_.wait(lock);
      continue;
    }
    auto next = armed_.begin();
    for (auto it = armed_.begin(); it != armed_.end(); ++it) {
      if (it->second.due < next->second.due) next = it;
    }
    // A copy: wait_until reads its deadline again after waking, and a Disarm while the lock
    // is released may have freed the entry.
    const Clock::time_point due = next->second.due;
    if (Clock::now() < due) {
      changed_.wait_until(lock, due);
      continue;  // disarmed, re-armed or due: look again
    }
    const uint64_t ticket = next->first;
    std::function<void()> notice = std::move(next->second.notice);
    armed_.erase(next);
    running_ = ticket;
    lock.unlock();
    notice();
    lock.lock();
    running_ = 0;
    changed_.notify_all();
  }
}

}  // namespace eventlog
