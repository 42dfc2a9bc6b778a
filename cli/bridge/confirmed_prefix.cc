#include "bridge/confirmed_prefix.h"

#include <algorithm>
#include <cassert>

namespace evlog {

void ConfirmedPrefix::Sent(uint64_t offset) {
  assert(pending_.empty() || pending_.back().offset < offset);
  // Drop the acked front once it is half the array or more, so that each entry moves at most
  // once on average and memory stays proportional to what is outstanding.
  if (head_ > 0 && head_ >= pending_.size() / 2) {
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
  pending_.push_back({offset, false});
}

bool ConfirmedPrefix::Confirm(uint64_t offset) {
  const auto first = pending_.begin() + static_cast<std::ptrdiff_t>(head_);
  auto it = std::lower_bound(first, pending_.end(), offset, [](const Pending& p, uint64_t o) { return p.offset < o; });
  if (it == pending_.end() || it->offset != offset || it->confirmed) return false;
  it->confirmed = true;
  while (head_ < pending_.size() && pending_[head_].confirmed) last_acked_ = pending_[head_++].offset;
  return true;
}

std::optional<uint64_t> ConfirmedPrefix::first_unconfirmed() const {
  for (size_t i = head_; i < pending_.size(); ++i)
    if (!pending_[i].confirmed) return pending_[i].offset;
  return std::nullopt;
}

}  // namespace evlog
