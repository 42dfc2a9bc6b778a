#include "codec/key_glob.h"

namespace evlog {
namespace {

// The end of the bracket expression that starts at pattern[i] == '[' (the index of its
// ']'), or npos if it is not closed.
size_t BracketEnd(std::string_view pattern, size_t i) {
  size_t j = i + 1;
  if (j < pattern.size() && (pattern[j] == '!' || pattern[j] == '^')) ++j;
  if (j < pattern.size() && pattern[j] == ']') ++j;  // a ']' first is a member
  for (; j < pattern.size(); ++j) {
    if (pattern[j] == '\\') {
      ++j;
    } else if (pattern[j] == ']') {
      return j;
    }
  }
  return std::string_view::npos;
}

// Whether `c` is in the bracket expression pattern[open..close].
bool InBracket(std::string_view pattern, size_t open, size_t close, unsigned char c) {
  size_t j = open + 1;
  bool negate = pattern[j] == '!' || pattern[j] == '^';
  if (negate) ++j;
  bool found = false;
  for (bool first = true; j < close; first = false) {
    if (pattern[j] == ']' && !first) break;
    if (pattern[j] == '\\') ++j;
    auto low = static_cast<unsigned char>(pattern[j++]);
    auto high = low;
    if (j + 1 < close && pattern[j] == '-') {
      if (pattern[j + 1] == '\\') ++j;
      high = static_cast<unsigned char>(pattern[j + 1]);
      j += 2;
    }
    if (low <= c && c <= high) found = true;
  }
  return found != negate;
}

}  // namespace

eventlog::Result<KeyGlob> KeyGlob::Compile(std::string_view pattern) {
  KeyGlob glob;
  glob.pattern_ = std::string(pattern);
  glob.literal_ = pattern.find_first_of("*?[") == std::string_view::npos;
  if (glob.literal_) return glob;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\') {
      if (++i == pattern.size()) return eventlog::Status::InvalidArgument("it ends with a lone backslash");
    } else if (pattern[i] == '[') {
      size_t close = BracketEnd(pattern, i);
      if (close == std::string_view::npos) {
        return eventlog::Status::InvalidArgument("the '[' at byte " + std::to_string(i) + " is not closed by ']'");
      }
      i = close;
    }
  }
  return glob;
}

// Iterative, with one backtrack point (the last '*'): linear in practice and at worst
// pattern length × key length, with no recursion whatever the input.
bool KeyGlob::Matches(std::string_view key) const {
  if (literal_) return key == pattern_;
  std::string_view p = pattern_;
  size_t pi = 0, ki = 0;
  size_t star = std::string_view::npos, star_key = 0;
  while (ki < key.size()) {
    if (pi < p.size()) {
      char c = p[pi];
      if (c == '*') {
        star = pi++;
        star_key = ki;
        continue;
      }
      if (c == '?') {
        ++pi;
        ++ki;
        continue;
      }
      if (c == '[') {
        size_t close = BracketEnd(p, pi);
        if (InBracket(p, pi, close, static_cast<unsigned char>(key[ki]))) {
          pi = close + 1;
          ++ki;
          continue;
        }
      } else {
        if (c == '\\') c = p[pi + 1];
        if (c == key[ki]) {
          pi += p[pi] == '\\' ? 2 : 1;
          ++ki;
          continue;
        }
      }
    }
    if (star == std::string_view::npos) return false;
    pi = star + 1;
    ki = ++star_key;
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

}  // namespace evlog
