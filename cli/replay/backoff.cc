#include "replay/backoff.h"

#include <algorithm>

namespace evlog {

Backoff::Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max, uint64_t seed)
    : initial_(initial), max_(std::max(initial, max)), random_(seed) {}

std::chrono::milliseconds Backoff::Nominal(int retry) const {
  std::chrono::milliseconds delay = initial_;
  for (int i = 1; i < retry && delay < max_; ++i) delay = std::min(delay * 2, max_);
  return delay;
}

std::chrono::milliseconds Backoff::Delay(int retry) {
  const std::chrono::milliseconds nominal = Nominal(retry);
  std::uniform_int_distribution<int64_t> jitter(0, nominal.count() * kJitterPercent / 100);
  return nominal + std::chrono::milliseconds(jitter(random_));
}

}  // namespace evlog
