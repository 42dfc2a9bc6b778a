// Whether the stream holds the events of one log in offset order, judged from the
// acknowledgements of their publishes (nats_sink.cc explains when it cannot).
//
// Each acknowledgement names the stream sequence the event is stored at (for a duplicate,
// the sequence of the copy stored first). Events in order have sequences rising with their
// offsets, so two events whose sequences fall the other way are out of order. The check
// compares each acknowledgement with the highest offset confirmed so far:
//   - a lower offset at a higher sequence: a publish of it failed without storing it while
//     later events were stored, and its resend came after them;
//   - a higher offset at a lower sequence: it was stored ahead of an earlier event, which
//     happens only if a later event reached the server before the resend of an earlier one
//     (nats_sink.cc rules that out; the check is there should it happen anyway).
#pragma once

#include <cstdint>
#include <vector>

namespace evlog {

// Events first..last are in the stream after the event at offset `other`, a later one; or,
// when `ahead`, before the event at offset `other`, an earlier one.
struct Misorder {
  uint64_t first = 0;
  uint64_t last = 0;
  uint64_t other = 0;
  bool ahead = false;

  bool operator==(const Misorder&) const = default;
};

class PublishOrderCheck {
 public:
  // One acknowledgement: the event at `offset` is stored at `sequence`.
  void Confirmed(uint64_t offset, uint64_t sequence);

  // The misorders found since the last call; consecutive offsets after one event as one.
  std::vector<Misorder> TakeMisorders();

 private:
  bool any_ = false;
  uint64_t highest_offset_ = 0;    // the highest offset confirmed
  uint64_t highest_sequence_ = 0;  // its stream sequence
  std::vector<Misorder> misorders_;
};

}  // namespace evlog
