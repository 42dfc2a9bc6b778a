#include "term/byte_size.h"

#include <fmt/core.h>

#include <iterator>

namespace evlog {
namespace {

// "12902400" -> "12,902,400".
std::string GroupThousands(uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

// The value in the largest unit that leaves at least 1, and whether it is exact.
struct Scaled {
  std::string text;
  bool exact;
};

Scaled Scale(uint64_t bytes) {
  if (bytes < 1024) return {fmt::format("{} byte{}", bytes, bytes == 1 ? "" : "s"), true};
  constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  size_t unit = 0;
  uint64_t divisor = 1024;
  while (unit + 1 < std::size(kUnits) && bytes / divisor >= 1024) {
    divisor *= 1024;
    ++unit;
  }
  if (bytes % divisor == 0) return {fmt::format("{} {}", bytes / divisor, kUnits[unit]), true};
  return {fmt::format("{:.1f} {}", static_cast<double>(bytes) / static_cast<double>(divisor), kUnits[unit]), false};
}

}  // namespace

std::string FormatByteSize(uint64_t bytes) {
  Scaled scaled = Scale(bytes);
  if (scaled.exact) return scaled.text;
  return fmt::format("{} ({} bytes)", scaled.text, GroupThousands(bytes));
}

std::string FormatByteSizeShort(uint64_t bytes) { return Scale(bytes).text; }

}  // namespace evlog
