// Conventions every randomized torture test follows, so that scripts/torture can run them
// all and tabulate the results:
//   - the seed comes from EVLOG_TORTURE_SEED, else from the clock, and is printed first as
//     `seed=N`; the same seed replays the same run;
//   - EVLOG_TORTURE_LONG=1 selects the long (release) cycle count instead of the CI one, and
//     EVLOG_TORTURE_CYCLES=N overrides both; a sanitizer build, about ten times slower, runs a
//     quarter of the CI count, so that CI's second pass stays within its budget;
//   - each test ends by printing one line
//       TORTURE name=<name> runs=<cycles> events=<events> violations=<n> seconds=<s> seed=<seed>
//     (some add fields of their own before seed=, as key=value).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace eventlog::torture {

class TortureRun {
 public:
  // Prints the seed line at once.
  explicit TortureRun(std::string name);

  uint64_t seed() const { return seed_; }
  // A seed for the index-th part of the run (a cycle, say), well mixed from seed(), so that
  // nearby seeds do not share parts.
  uint64_t SubSeed(uint64_t index) const;
  bool long_mode() const { return long_mode_; }
  static bool sanitized();  // built with AddressSanitizer
  // The number of cycles to run: the override, else `long_cycles` in long mode, else
  // `ci_cycles` (a quarter of it in a sanitizer build).
  int Cycles(int ci_cycles, int long_cycles) const;

  void AddRun() { ++runs_; }
  void AddEvents(uint64_t n) { events_ += n; }
  void AddViolations(uint64_t n) { violations_ += n; }
  // An extra " key=value" for the summary line.
  void AddField(const std::string& key, uint64_t value);
  uint64_t violations() const { return violations_; }

  // Prints the summary line.
  void Finish();

 private:
  std::string name_;
  uint64_t seed_;
  bool long_mode_;
  int cycles_override_ = -1;
  uint64_t runs_ = 0, events_ = 0, violations_ = 0;
  std::string fields_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace eventlog::torture
