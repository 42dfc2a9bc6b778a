// The sink's check that the stream holds a log's events in offset order (publish_order.h),
// fed with acknowledgements as a NATS server gives them: (offset, stream sequence).
#include <doctest/doctest.h>

#include <utility>

#include "bridge/nats/publish_order.h"

namespace evlog {
namespace {

using Acks = std::vector<std::pair<uint64_t, uint64_t>>;  // (offset, stream sequence), in arrival order

std::vector<Misorder> MisordersOf(const Acks& acks) {
  PublishOrderCheck check;
  for (const auto& [offset, sequence] : acks) check.Confirmed(offset, sequence);
  return check.TakeMisorders();
}

TEST_CASE("AcknowledgementsInOrderDuplicatesIncludedAreInOrder") {
  // 7..9 are resent after an outage, stored already: acknowledged as duplicates at their
  // first sequence. Another publisher's messages came before 10: gaps are fine.
  CHECK(MisordersOf({{0, 100}, {7, 107}, {8, 108}, {9, 109}, {7, 107}, {8, 108}, {9, 109}, {10, 250}}).empty());
}

TEST_CASE("AFailedPublishResentAfterLaterEventsIsOutOfOrderNamedByItsOffsets") {
  // Offsets 1..3 failed (no responders during a leader election) while 4 and 5 were stored.
  CHECK(MisordersOf({{0, 1}, {4, 2}, {5, 3}, {1, 4}, {2, 5}, {3, 6}, {6, 7}}) ==
        std::vector<Misorder>{{.first = 1, .last = 3, .other = 5}});
}

TEST_CASE("AResendWhoseFirstPublishWasStoredIsInOrder") {
  // 1 timed out, but the stream had stored it at 2; its resend is a duplicate of that copy.
  CHECK(MisordersOf({{0, 1}, {2, 3}, {1, 2}}).empty());
}

TEST_CASE("TwoFailuresBehindTwoEventsAreTwoMisorders") {
  CHECK(MisordersOf({{1, 10}, {0, 11}, {5, 12}, {3, 13}, {4, 14}}) ==
        std::vector<Misorder>{{.first = 0, .last = 0, .other = 1}, {.first = 3, .last = 4, .other = 5}});
}

TEST_CASE("ALaterEventStoredAheadOfTheResendOfEarlierOnesIsOutOfOrder") {
  // What libnats's reconnect buffer did before the sink reconnected by itself (nats_sink.cc):
  // offsets 3..5 were lost with the connection, 6 was sent first on the new one and stored
  // at 4; the resends of 3..5 came after it, and 6's resend was a duplicate of sequence 4.
  CHECK(MisordersOf({{0, 1}, {1, 2}, {2, 3}, {3, 5}, {4, 6}, {5, 7}, {6, 4}, {7, 8}}) ==
        std::vector<Misorder>{{.first = 6, .last = 6, .other = 5, .ahead = true}});
}

TEST_CASE("MisordersAreReportedOnce") {
  PublishOrderCheck check;
  check.Confirmed(1, 1);
  check.Confirmed(0, 2);
  CHECK(check.TakeMisorders().size() == 1);
  CHECK(check.TakeMisorders().empty());
}

}  // namespace
}  // namespace evlog
