// WaitNotifier: the one thread that tells blocked lock waiters their wait is long.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "wait_notifier.h"

namespace eventlog {
namespace {

using namespace std::chrono_literals;

// Polls `done` for up to `limit`: the notifier's thread runs on its own schedule.
template <typename Done>
bool Eventually(Done done, std::chrono::milliseconds limit = 5000ms) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

TEST_CASE("WaitNotifierRunsANoticeOnceItsPatienceHasPassed") {
  WaitNotifier notifier;
  std::atomic<int> runs{0};
  const auto armed_at = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point ran_at;
  const uint64_t ticket = notifier.Arm(50ms, [&] {
    ran_at = std::chrono::steady_clock::now();
    ++runs;
  });
  REQUIRE(Eventually([&] { return runs.load() == 1; }));
  notifier.Disarm(ticket);
  CHECK(ran_at - armed_at >= 50ms);
  std::this_thread::sleep_for(100ms);
  CHECK(runs.load() == 1);  // once, not again
}

TEST_CASE("WaitNotifierDropsANoticeDisarmedInTime") {
  WaitNotifier notifier;
  std::atomic<int> runs{0};
  for (int i = 0; i < 100; ++i) {
    ArmedWait wait(notifier, 200ms, [&] { ++runs; });
  }
  std::this_thread::sleep_for(400ms);
  CHECK(runs.load() == 0);
}

TEST_CASE("WaitNotifierDisarmWaitsForANoticeThatIsRunning") {
  // What a notice refers to may go once Disarm returns, so Disarm must not return while
  // the notice still runs.
  WaitNotifier notifier;
  std::atomic<bool> started{false};
  std::atomic<bool> finished{false};
  const uint64_t ticket = notifier.Arm(0ms, [&] {
    started = true;
    std::this_thread::sleep_for(200ms);
    finished = true;
  });
  REQUIRE(Eventually([&] { return started.load(); }));
  notifier.Disarm(ticket);
  CHECK(finished.load());
}

TEST_CASE("WaitNotifierServesWaitsArmedAtOnceInTheOrderTheyFallDue") {
  WaitNotifier notifier;
  std::mutex mu;
  std::vector<int> order;
  std::vector<uint64_t> tickets;
  for (int i : {3, 1, 2}) {
    tickets.push_back(notifier.Arm(std::chrono::milliseconds(40 * i), [&, i] {
      std::lock_guard<std::mutex> lock(mu);
      order.push_back(i);
    }));
  }
  // One disarmed before it falls due is skipped; the others still come.
  const uint64_t dropped = notifier.Arm(60ms, [&] {
    std::lock_guard<std::mutex> lock(mu);
    order.push_back(99);
  });
  notifier.Disarm(dropped);
  REQUIRE(Eventually([&] {
    std::lock_guard<std::mutex> lock(mu);
    return order.size() == 3;
  }));
  for (uint64_t t : tickets) notifier.Disarm(t);
  std::lock_guard<std::mutex> lock(mu);
  CHECK(order == std::vector<int>{1, 2, 3});
}

TEST_CASE("WaitNotifierArmedFromManyThreadsRunsEachNoticeAtMostOnceAndOnlyWhenDue") {
  constexpr int kThreads = 8;
  constexpr int kWaits = 50;
  WaitNotifier notifier;
  std::vector<std::atomic<int>> runs(kThreads * kWaits);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWaits; ++i) {
        // Every other wait outlasts its patience, so its notice comes; the rest end first.
        const bool long_wait = (i + t) % 2 == 0;
        std::atomic<int>& counter = runs[t * kWaits + i];
        ArmedWait wait(notifier, long_wait ? 0ms : 10s, [&counter] { ++counter; });
        if (long_wait) Eventually([&] { return counter.load() > 0; }, 1000ms);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  int noticed = 0;
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kWaits; ++i) {
      const int n = runs[t * kWaits + i].load();
      CAPTURE(t);
      CAPTURE(i);
      CHECK(n <= 1);
      if ((i + t) % 2 != 0) CHECK(n == 0);
      noticed += n;
    }
  }
  CHECK(noticed == kThreads * kWaits / 2);
}

TEST_CASE("WaitNotifierDestroyedWithAWaitArmedRunsNothing") {
  std::atomic<int> runs{0};
  {
    WaitNotifier notifier;
    (void)notifier.Arm(10s, [&] { ++runs; });
  }
  CHECK(runs.load() == 0);
}

}  // namespace
}  // namespace eventlog
