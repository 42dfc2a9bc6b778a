#include "bridge/nats/publish_order.h"

namespace evlog {

void PublishOrderCheck::Confirmed(uint64_t offset, uint64_t sequence) {
  if (!any_ || offset > highest_offset_) {
    if (any_ && sequence < highest_sequence_)
      misorders_.push_back({.first = offset, .last = offset, .other = highest_offset_, .ahead = true});
    any_ = true;
    highest_offset_ = offset;
    highest_sequence_ = sequence;
    return;
  }
  if (offset == highest_offset_ || sequence < highest_sequence_) return;
  // Resends go out in offset order, so the events of one failure come one after another.
  if (!misorders_.empty() && !misorders_.back().ahead && misorders_.back().other == highest_offset_ &&
      misorders_.back().last + 1 == offset) {
    misorders_.back().last = offset;
  } else {
    misorders_.push_back({.first = offset, .last = offset, .other = highest_offset_});
  }
}

std::vector<Misorder> PublishOrderCheck::TakeMisorders() {
  std::vector<Misorder> taken;
  taken.swap(misorders_);
  return taken;
}

}  // namespace evlog
