// The "did you mean" distance (cli/term/suggest.h).
#include <doctest/doctest.h>

#include "term/suggest.h"

namespace evlog {
namespace {

TEST_CASE("EditDistanceCountsEachEditOnce") {
  CHECK(EditDistance("tail", "tail") == 0);
  CHECK(EditDistance("tial", "tail") == 1);  // a swap of neighbours is one edit
  CHECK(EditDistance("tal", "tail") == 1);
  CHECK(EditDistance("taill", "tail") == 1);
  CHECK(EditDistance("tall", "tail") == 1);
  CHECK(EditDistance("", "ack") == 3);
  CHECK(EditDistance("verfiy", "verify") == 1);
  CHECK(EditDistance("ca", "abc") == 3);  // optimal string alignment: no edit of a swapped pair
}

TEST_CASE("ClosestNameOnlyWhenClose") {
  const std::vector<std::string> names{"append", "tail", "stat", "ls", "import", "export"};
  CHECK(ClosestName("tial", names) == "tail");
  CHECK(ClosestName("sta", names) == "stat");
  CHECK(ClosestName("exprot", names) == "export");
  CHECK(ClosestName("frobnicate", names) == std::nullopt);
  CHECK(ClosestName("l", names) == std::nullopt);  // one letter is too short to correct
  CHECK(ClosestName("--folow", {"--follow", "--from"}) == "--follow");
}

}  // namespace
}  // namespace evlog
