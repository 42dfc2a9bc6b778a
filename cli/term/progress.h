// A progress line for long-running commands (export, import, verify, compact, replay):
// "\r<label>  45%  1.2M/2.7M events  350k/s  ETA 4s" on stderr, redrawn at most ten times a
// second, only when stderr is a terminal (nothing at all in pipes, files and CI logs) and not -q.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace evlog {

class Progress {
 public:
  // `unit` names what is counted ("events", "bytes"); `total` 0 means unknown (no % or ETA).
  Progress(std::string label, std::string unit, uint64_t total);
  ~Progress();  // clears the line
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void Update(uint64_t done);
  void Clear();  // erases the line, e.g. before a final summary
  void SetTotal(uint64_t total) { total_ = total; }
  bool enabled() const { return enabled_; }

 private:
  void Draw(uint64_t done);

  std::string label_;
  std::string unit_;
  uint64_t total_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

// 1234567 -> "1.2M", 950 -> "950".
std::string CompactCount(double value);

}  // namespace evlog
