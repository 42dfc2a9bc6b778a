#include "bridge/confirmed_prefix.h"

#include <algorithm>
#include <cassert>

namespace evlog {

void ConfirmedPrefix::Sent(uint64_t offset) {
  assert(pending_.empty() || pending_.back().offset < offset);
  pending_.push_back({offset, false});
}

bool ConfirmedPrefix::Confirm(uint64_t offset) {
  // Confirmations come mostly in send order, so the front is the usual hit.
  auto it = std::lower_bound(pending_.begin(), pending_.end(), offset,
                             [](const Pending& p, uint64_t o) { return p.offset < o; });
  if (it == pending_.end() || it->offset != offset || it->confirmed) return false;
  it->confirmed = true;
  while (!pending_.empty() && pending_.front().confirmed) {
    last_acked_ = pending_.front().offset;
    pending_.pop_front();
  }
  return true;
}

std::optional<uint64_t> ConfirmedPrefix::first_unconfirmed() const {
  for (const Pending& p : pending_)
    if (!p.confirmed) return p.offset;
  return std::nullopt;
}

}  // namespace evlog
