#include "args/size_parse.h"

#include <cctype>
#include <charconv>
#include <string>

namespace evlog {

std::optional<uint64_t> ParseUnsigned(std::string_view text) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

namespace {

// Shift for a unit suffix, or -1 if it is not one.
int SuffixShift(std::string_view suffix) {
  std::string s;
  for (char c : suffix) s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (s.empty() || s == "b") return 0;
  static constexpr std::string_view kUnits = "kmg";
  size_t unit = kUnits.find(s[0]);
  if (unit == std::string_view::npos) return -1;
  std::string_view rest = std::string_view(s).substr(1);
  if (!rest.empty() && rest != "b" && rest != "ib") return -1;
  return 10 * static_cast<int>(unit + 1);
}

}  // namespace

std::optional<uint64_t> ParseSize(std::string_view text) {
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  std::optional<uint64_t> number = ParseUnsigned(text.substr(0, digits));
  int shift = SuffixShift(text.substr(digits));
  if (!number || shift < 0) return std::nullopt;
  if (shift > 0 && *number > (UINT64_MAX >> shift)) return std::nullopt;
  return *number << shift;
}

}  // namespace evlog
