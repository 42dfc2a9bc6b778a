// Tells a thread that is blocked in a wait it cannot time out (a blocking flock) that the
// wait has become long, by running a callback for it on a thread of its own.
//
// One notifier thread serves every wait of its owner and lives as long as the owner: it is
// started on the first Arm() and then only woken. A thread started and joined per wait cost
// a few tens of microseconds each time; with several processes appending durable events,
// nearly every lock acquisition waits, and each commit lasts a couple of hundred.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace eventlog {

class WaitNotifier {
 public:
  using Clock = std::chrono::steady_clock;

  WaitNotifier() = default;
  ~WaitNotifier();  // any armed notice is dropped without running
  WaitNotifier(const WaitNotifier&) = delete;
  WaitNotifier& operator=(const WaitNotifier&) = delete;

  // Runs `notice` once, on the notifier's thread, `patience` from now, unless Disarm(ticket)
  // comes first. Thread-safe; any number of waits may be armed at once.
  uint64_t Arm(Clock::duration patience, std::function<void()> notice);

  // After it returns, the notice of `ticket` has run or never will: what it refers to (the
  // waiter's stack, typically) may go.
  void Disarm(uint64_t ticket);

 private:
  struct Armed {
    Clock::time_point due;
    std::function<void()> notice;
  };
  void Run();

  std::mutex mu_;
  std::condition_variable changed_;
  std::map<uint64_t, Armed> armed_;
  uint64_t next_ticket_ = 1;
  uint64_t running_ = 0;  // the ticket whose notice runs right now, 0 for none
  bool stopping_ = false;
  std::thread thread_;
};

// Arms a wait for the lifetime of a scope.
class ArmedWait {
 public:
  ArmedWait(WaitNotifier& notifier, WaitNotifier::Clock::duration patience, std::function<void()> notice)
      : notifier_(notifier), ticket_(notifier.Arm(patience, std::move(notice))) {}
  ~ArmedWait() { notifier_.Disarm(ticket_); }
  ArmedWait(const ArmedWait&) = delete;
  ArmedWait& operator=(const ArmedWait&) = delete;

 private:
  WaitNotifier& notifier_;
  uint64_t ticket_;
};

}  // namespace eventlog
