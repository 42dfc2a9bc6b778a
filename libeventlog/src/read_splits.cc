// Log::ReadSplits: where a long range may be cut so that several readers read it at once.
//
// The cuts are the base offsets of indexed frames (format-spec §7) and of segments. The
// index is a cache that may be damaged (§7.2), so an entry is used only if its offset lies
// inside its own segment's offsets and above the last cut: the cuts stay strictly
// ascending whatever the index holds. An entry that names no frame costs only speed: the
// reader validates an entry before it starts there, and a reader seeking to any offset
// returns exactly the events from that offset on.
//
// Verification does not depend on the cuts either: a reader of a span seeks to the offset
// before its span (parallel_print.h) and reads its span's first frame in sequence after the
// frame before it, so every link one reader would check is checked by some reader.
#include <algorithm>

#include "format.h"
#include "log_impl.h"
#include "segment.h"
#include "segment_index.h"

namespace eventlog {

Result<std::vector<uint64_t>> Log::ReadSplits(uint64_t from, uint64_t to, uint64_t span_bytes) const {
  std::vector<uint64_t> cuts;
  if (from >= to) return cuts;
  EVLOG_ASSIGN_OR_RETURN(std::vector<uint64_t> segments, ListSegments(impl_->fs(), impl_->dir()));
  const uint64_t segment_bytes = impl_->meta().segment_bytes;
  uint64_t since_cut = 0;  // bytes of frames between the last cut (or `from`) and here
  for (size_t i = 0; i < segments.size() && segments[i] < to; ++i) {
    const uint64_t base = segments[i];
    const bool last = i + 1 == segments.size();
    if (!last && segments[i + 1] <= from) continue;  // wholly before the range
    const uint64_t next_base = last ? UINT64_MAX : segments[i + 1];
    uint64_t position = format::segment::kHeaderSize;
    if (base > from && since_cut >= span_bytes && (cuts.empty() || base > cuts.back())) {
      cuts.push_back(base);
      since_cut = 0;
    }
    for (const IndexEntry& entry : ReadIndex(impl_->fs(), impl_->dir(), base, impl_->meta().log_id)) {
      if (entry.offset >= to) break;
      if (entry.offset < base || entry.offset >= next_base) break;  // a damaged index: none of it is used further
      if (entry.offset <= from) {
        position = entry.position;  // where the range starts, near enough
        continue;
      }
      since_cut += entry.position - std::min(entry.position, position);
      position = entry.position;
      if (since_cut >= span_bytes && (cuts.empty() || entry.offset > cuts.back())) {
        cuts.push_back(entry.offset);
        since_cut = 0;
      }
    }
    // A closed segment is about full; the last one's end is HEAD's, which the range's end
    // already bounds.
    if (!last) since_cut += segment_bytes - std::min(segment_bytes, position);
  }
  return cuts;
}

}  // namespace eventlog
