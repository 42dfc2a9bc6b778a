// "did you mean 'tail'?": the known name closest to a misspelt one, for subcommands and
// options. Closeness is the optimal-string-alignment distance (Damerau–Levenshtein without
// repeated edits of one substring): insertions, deletions, substitutions and swaps of two
// neighbouring characters each cost 1, so "tial", "tal" and "taill" are all 1 from "tail".
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace evlog {

size_t EditDistance(std::string_view a, std::string_view b);

// The name in `known` closest to `typed`, if any is close enough to be what was meant: at
// most 2 edits, and fewer edits than half of `typed`'s length, so that a short word is not
// "corrected" into an unrelated one ("ls" is not a typo of "ack"). Ties go to the first.
std::optional<std::string> ClosestName(std::string_view typed, const std::vector<std::string>& known);

}  // namespace evlog
