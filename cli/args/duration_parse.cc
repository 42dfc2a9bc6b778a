#include "args/duration_parse.h"

#include <cctype>
#include <cstdint>

#include "args/size_parse.h"

namespace evlog {
namespace {

struct Unit {
  std::string_view suffix;
  int64_t millis;
};
// Largest first: FormatDuration uses the first unit that divides the value exactly.
constexpr Unit kUnits[] = {{"d", 86'400'000}, {"h", 3'600'000}, {"m", 60'000}, {"s", 1'000}, {"ms", 1}};

}  // namespace

std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  std::optional<uint64_t> number = ParseUnsigned(text.substr(0, digits));
  if (!number) return std::nullopt;
  std::string_view suffix = text.substr(digits);
  for (const Unit& unit : kUnits) {
    if (suffix != unit.suffix) continue;
    if (*number > static_cast<uint64_t>(kMaxDuration.count() / unit.millis)) return std::nullopt;
    return std::chrono::milliseconds(static_cast<int64_t>(*number) * unit.millis);
  }
  return std::nullopt;
}

std::string FormatDuration(std::chrono::milliseconds duration) {
  const int64_t ms = duration.count();
  for (const Unit& unit : kUnits) {
    if (ms != 0 && ms % unit.millis == 0) return std::to_string(ms / unit.millis) + std::string(unit.suffix);
  }
  return std::to_string(ms) + "ms";
}

}  // namespace evlog
