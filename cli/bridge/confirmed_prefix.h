// Which events a group may be acked up to. An engine confirms the events sent to it in
// whatever order its acknowledgements arrive (Kafka reports per partition, NATS per publish),
// but a group position means "everything before it is done": the position may pass an event
// only once that event and every event sent before it are confirmed. So a crash, a broker
// outage or a rejected message can never leave an unconfirmed event behind the position.
//
//   ConfirmedPrefix prefix;
//   prefix.Sent(7); prefix.Sent(8); prefix.Sent(9);
//   prefix.Confirm(8);         // last_acked(): nullopt, 7 is still out
//   prefix.Confirm(7);         // last_acked(): 8
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace evlog {

class ConfirmedPrefix {
 public:
  // Records an event handed to the engine. Offsets must increase (a log has gaps after
  // compaction, so they need not be consecutive).
  void Sent(uint64_t offset);
  // Records the engine's confirmation of a sent event. Returns false for an offset that was
  // not sent or is already confirmed (an engine reporting twice), changing nothing.
  bool Confirm(uint64_t offset);

  // The greatest offset such that it and every offset sent before it are confirmed.
  std::optional<uint64_t> last_acked() const { return last_acked_; }
  // Sent and not yet covered by last_acked() (confirmed or not).
  uint64_t outstanding() const { return pending_.size() - head_; }
  std::optional<uint64_t> first_unconfirmed() const;

 private:
  struct Pending {
    uint64_t offset;
    bool confirmed;
  };
  // Increasing offsets; those before head_ are covered by last_acked_ and dropped in bulk.
  // A contiguous array rather than a deque: Confirm() binary-searches it once per message
  // (Kafka confirms each partition's batch in turn, so not in send order), and that search
  // was a visible part of the relay's profile over a deque.
  std::vector<Pending> pending_;
  size_t head_ = 0;
  std::optional<uint64_t> last_acked_;
};

}  // namespace evlog
