// Compaction: retention removes whole closed segments from the old end of a log.
//
//   eventlog::CompactionOptions options;
//   options.retain_bytes = 1ull << 30;                   // keep the newest ~1 GiB of segments
//   auto report = eventlog::CompactLog(*log, options);   // report->removed, report->kept
//
// A closed segment lies below the retention point when any limit given says so; segments
// are removed strictly oldest first, so the segments that remain are always a contiguous
// suffix of the log, whatever instant a crash interrupts the removal at (format-spec §4.3).
// The active (newest) segment is never removed. Readers need not stop: one that has a
// removed segment open keeps reading it, one positioned before the new first offset
// continues at the oldest remaining event.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "eventlog/log.h"
#include "eventlog/status.h"

namespace eventlog {

struct CompactionOptions {
  // A closed segment lies below the retention point if any of the limits given says so:
  std::optional<uint64_t> retain_bytes;   // the segment files after it hold at least this many bytes
  std::optional<int64_t> retain_age_ns;   // its newest event is older than now minus this
  std::optional<uint64_t> before_offset;  // its end offset (one past its last event) is <= this
  // false: never remove an event that a consumer group has not acked, i.e. keep every
  // segment that ends after the lowest group position (ConsumerGroups::List).
  bool ignore_groups = false;
  bool dry_run = false;  // plan and report; change nothing and take no lock
  int64_t now_ns = 0;    // "now" for retain_age_ns; 0 means the system clock
};

struct CompactedSegment {
  uint64_t base_offset = 0;
  uint64_t end_offset = 0;  // one past its last event
  uint64_t events = 0;
  uint64_t bytes = 0;       // the segment file and its index
  int64_t last_timestamp_ns = 0;
};

// The oldest segment that the limits placed below the retention point but that stays, and
// why ("group 'billing' is at offset 4100", "it is the active segment"). Every newer segment
// stays too: removal never leaves a hole.
struct KeptSegment {
  uint64_t base_offset = 0;
  std::string reason;
};

struct CompactionReport {
  bool dry_run = false;
  std::vector<CompactedSegment> removed;  // oldest first; for a dry run, what would be removed
  std::optional<KeptSegment> kept;
  uint64_t events_removed = 0;
  uint64_t bytes_removed = 0;
  uint64_t first_offset = 0;  // the oldest stored offset afterwards
};

// Removes the closed segments below the retention point, each with its index, oldest first,
// syncing the directory after each one; holds the append lock throughout, so appends (from
// this or any process) wait. Errors: kInvalidArgument (no limit given), kCorruption (a
// segment to be examined does not parse: nothing was removed from it on), kIOError (a
// removal failed: the segments removed before it stay removed, the rest stay), kFailed.
Result<CompactionReport> CompactLog(Log& log, const CompactionOptions& options);

}  // namespace eventlog
