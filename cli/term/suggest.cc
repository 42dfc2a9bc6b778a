#include "term/suggest.h"

#include <algorithm>

namespace evlog {

size_t EditDistance(std::string_view a, std::string_view b) {
  // Three rows of the dynamic-programming table: the swap rule looks two rows back.
  std::vector<size_t> before(b.size() + 1), previous(b.size() + 1), current(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitution});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        current[j] = std::min(current[j], before[j - 2] + 1);
      }
    }
    std::swap(before, previous);
    std::swap(previous, current);
  }
  return previous[b.size()];
}

std::optional<std::string> ClosestName(std::string_view typed, const std::vector<std::string>& known) {
  std::optional<std::string> best;
  size_t best_distance = 3;  // more than 2 edits is another word
  for (const std::string& name : known) {
    const size_t distance = EditDistance(typed, name);
    if (distance < best_distance && 2 * distance < typed.size()) {
      best = name;
      best_distance = distance;
    }
  }
  return best;
}

}  // namespace evlog
