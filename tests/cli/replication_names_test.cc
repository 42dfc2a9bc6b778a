// Slot and publication names are spliced into replication commands, which take no bound
// parameters: only names that cannot end or extend a command are accepted.
#include <doctest/doctest.h>

#include <string>

#include "capture/postgres/replication_connection.h"

using namespace evlog::pg;

TEST_CASE("Slot names are [a-z0-9_], 1 to 63 characters") {
  CHECK(IsSlotName("evlog_slot_1"));
  CHECK(IsSlotName(std::string(63, 'a')));
  for (const std::string& bad : std::initializer_list<std::string>{"", "Evlog", "a b", "a;DROP", "a'b", "a\"b", "a-b", std::string(64, 'a')})
    CHECK_MESSAGE(!IsSlotName(bad), bad);
}

TEST_CASE("Publication names also allow capitals, and nothing that could quote or separate") {
  CHECK(IsPublicationName("Evlog_Pub"));
  for (const std::string& bad : std::initializer_list<std::string>{"", "a,b", "a\"b", "a'b", "a b", std::string(64, 'a')})
    CHECK_MESSAGE(!IsPublicationName(bad), bad);
}
