// What the benchmark programs share: timing two operations call by call, latency summaries
// (nearest-rank percentiles over one sample per call) printed as the key=value lines that
// scripts/bench reads, and reading a count from the command line.
#pragma once

#include <errno.h>  // program_invocation_short_name

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace evlog_bench {

struct LatencySummary {
  size_t count = 0;
  double total_seconds = 0;  // the sum of the samples
  double per_second = 0;     // count / total_seconds: the rate one caller sees
  double mean_us = 0;
  double p50_us = 0;
  double p99_us = 0;
  double max_us = 0;
};

inline LatencySummary Summarise(std::vector<double> samples_us) {
  LatencySummary s;
  s.count = samples_us.size();
  if (samples_us.empty()) return s;
  double sum = 0;
  for (double l : samples_us) sum += l;
  std::sort(samples_us.begin(), samples_us.end());
  auto percentile = [&](double p) {
    size_t rank = static_cast<size_t>(p / 100.0 * static_cast<double>(samples_us.size()) + 0.999999);
    return samples_us[std::clamp<size_t>(rank, 1, samples_us.size()) - 1];
  };
  s.total_seconds = sum / 1e6;
  s.per_second = s.total_seconds > 0 ? static_cast<double>(s.count) / s.total_seconds : 0;
  s.mean_us = sum / static_cast<double>(s.count);
  s.p50_us = percentile(50);
  s.p99_us = percentile(99);
  s.max_us = samples_us.back();
  return s;
}

// Prints PREFIX_count, PREFIX_seconds, PREFIX_per_s and the latencies in µs.
inline void PrintSummary(const char* prefix, const LatencySummary& s) {
  std::printf("%s_count=%zu\n%s_seconds=%.6f\n%s_per_s=%.1f\n", prefix, s.count, prefix, s.total_seconds, prefix,
              s.per_second);
  std::printf("%s_mean_us=%.1f\n%s_p50_us=%.1f\n%s_p99_us=%.1f\n%s_max_us=%.1f\n", prefix, s.mean_us, prefix, s.p50_us,
              prefix, s.p99_us, prefix, s.max_us);
}

// Calls first(i) and second(i) for i in [0, warmup + count), alternating which goes first
// so that both see the same device and writeback state, and records each call's µs in
// *first_us and *second_us once past the warm-up.
template <typename First, typename Second>
void TimeInterleaved(uint64_t count, uint64_t warmup, First first, Second second, std::vector<double>* first_us,
                     std::vector<double>* second_us) {
  using Clock = std::chrono::steady_clock;
  first_us->reserve(count);
  second_us->reserve(count);
  for (uint64_t i = 0; i < count + warmup; ++i) {
    for (int turn = 0; turn < 2; ++turn) {
      const bool first_turn = (turn == 0) == (i % 2 == 0);
      const Clock::time_point start = Clock::now();
      if (first_turn) {
        first(i);
      } else {
        second(i);
      }
      const double us = std::chrono::duration<double, std::micro>(Clock::now() - start).count();
      if (i >= warmup) (first_turn ? first_us : second_us)->push_back(us);
    }
  }
}

// Prints "PROGRAM: message" and exits 1.
[[noreturn]] inline void Die(const std::string& message) {
  std::fprintf(stderr, "%s: %s\n", program_invocation_short_name, message.c_str());
  std::exit(1);
}

// The count a flag was given, a whole decimal number; dies on anything else.
inline uint64_t ParseCount(const char* flag, const char* text) {
  char* end = nullptr;
  const unsigned long long value = std::strtoull(text, &end, 10);
  if (end == text || *end != '\0' || *text == '-') Die(std::string("bad value for ") + flag + ": " + text);
  return value;
}

// Prints both sides' summaries and the first's rate over the second's as ratio_per_s.
inline void PrintSideBySide(const char* first, const char* second, const std::vector<double>& first_us,
                            const std::vector<double>& second_us) {
  const LatencySummary a = Summarise(first_us);
  const LatencySummary b = Summarise(second_us);
  PrintSummary(first, a);
  PrintSummary(second, b);
  std::printf("ratio_per_s=%.3f\n", b.per_second > 0 ? a.per_second / b.per_second : 0.0);
}

}  // namespace evlog_bench
