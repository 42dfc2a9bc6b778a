// The delays between attempts of `replay`: exponential backoff with a cap and jitter.
//
// Before retry k (k = 1 for the second attempt) the nominal delay is initial * 2^(k-1),
// at most `max`. The actual delay is the nominal one lengthened by a random 0-20%, so
// that consumers that failed together do not retry in lockstep, while the nominal delay
// stays a lower bound a user can count on. A cap below `initial` is raised to it. Durations
// are at most kMaxDuration (duration_parse.h), so the arithmetic cannot overflow.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace evlog {

class Backoff {
 public:
  static constexpr int kJitterPercent = 20;

  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max, uint64_t seed);

  // The nominal delay before retry `retry` (1-based), without jitter.
  std::chrono::milliseconds Nominal(int retry) const;

  // The delay to wait before retry `retry`: Nominal(retry) plus jitter.
  std::chrono::milliseconds Delay(int retry);

 private:
  std::chrono::milliseconds initial_;
  std::chrono::milliseconds max_;
  std::mt19937_64 random_;
};

}  // namespace evlog
