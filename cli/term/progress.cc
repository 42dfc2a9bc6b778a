#include "term/progress.h"

#include <fmt/core.h>
#include <unistd.h>

#include <cstdio>

#include "term/report.h"

namespace evlog {

namespace {
constexpr auto kRedrawInterval = std::chrono::milliseconds(100);
}

std::string CompactCount(double value) {
  if (value >= 1e9) return fmt::format("{:.1f}G", value / 1e9);
  if (value >= 1e6) return fmt::format("{:.1f}M", value / 1e6);
  if (value >= 1e4) return fmt::format("{:.0f}k", value / 1e3);
  return fmt::format("{:.0f}", value);
}

Progress::Progress(std::string label, std::string unit, uint64_t total)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(total),
      enabled_(isatty(STDERR_FILENO) == 1 && !Quiet()),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

Progress::~Progress() { Clear(); }

void Progress::Clear() {
  if (drawn_) std::fputs("\r\033[K", stderr);  // leave the terminal as it was
  drawn_ = false;
}

void Progress::Update(uint64_t done) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < kRedrawInterval) return;
  last_draw_ = now;
  Draw(done);
}

void Progress::Draw(uint64_t done) {
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = seconds > 0 ? done / seconds : 0;
  std::string line = fmt::format("\r\033[K{}  ", label_);
  if (total_ > 0) {
    line += fmt::format("{:3.0f}%  {}/{} {}", 100.0 * done / total_, CompactCount(done), CompactCount(total_), unit_);
  } else {
    line += fmt::format("{} {}", CompactCount(done), unit_);
  }
  line += fmt::format("  {}/s", CompactCount(rate));
  if (total_ > done && rate > 0) line += fmt::format("  ETA {:.0f}s", (total_ - done) / rate);
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
  drawn_ = true;
}

}  // namespace evlog
