#include "torture_run.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include <fmt/format.h>

namespace eventlog::torture {

namespace {

std::optional<uint64_t> EnvNumber(const char* name) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return std::nullopt;
  char* end = nullptr;
  const uint64_t value = std::strtoull(text, &end, 10);
  if (*end != '\0') {
    fmt::print(stderr, "{}={} is not a number; ignored\n", name, text);
    return std::nullopt;
  }
  return value;
}

}  // namespace

TortureRun::TortureRun(std::string name) : name_(std::move(name)), start_(std::chrono::steady_clock::now()) {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  seed_ = EnvNumber("EVLOG_TORTURE_SEED").value_or(static_cast<uint64_t>(now.count()) % 1'000'000'007);
  long_mode_ = EnvNumber("EVLOG_TORTURE_LONG").value_or(0) != 0;
  if (auto cycles = EnvNumber("EVLOG_TORTURE_CYCLES")) cycles_override_ = static_cast<int>(*cycles);
  fmt::print("seed={}\n", seed_);
  std::fflush(stdout);
}

uint64_t TortureRun::SubSeed(uint64_t index) const {
  uint64_t z = seed_ * 0x9e3779b97f4a7c15ull + index;  // splitmix64's finaliser
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

bool TortureRun::sanitized() {
#if defined(__SANITIZE_ADDRESS__)
  return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  return true;
#endif
#endif
  return false;
}

int TortureRun::Cycles(int ci_cycles, int long_cycles) const {
  if (cycles_override_ >= 0) return cycles_override_;
  if (long_mode_) return long_cycles;
  return sanitized() ? std::max(1, ci_cycles / 4) : ci_cycles;
}

void TortureRun::AddField(const std::string& key, uint64_t value) { fields_ += fmt::format(" {}={}", key, value); }

void TortureRun::Finish() {
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  fmt::print("TORTURE name={} runs={} events={} violations={} seconds={:.1f}{} seed={}\n", name_, runs_, events_,
             violations_, seconds, fields_, seed_);
  std::fflush(stdout);
}

}  // namespace eventlog::torture
