// Compaction: retention removes whole closed segments from the old end of a log; key
// compaction rewrites closed segments to keep only the newest event of each key.
//
//   eventlog::CompactionOptions options;
//   options.retain_bytes = 1ull << 30;                   // keep the newest ~1 GiB of segments
//   options.keep_latest_per_key = true;                  // and drop superseded keyed events
//   auto report = eventlog::CompactLog(*log, options);   // report->removed, report->keys
//
// A closed segment lies below the retention point when any limit given says so; segments
// are removed strictly oldest first, so the segments that remain are always a contiguous
// suffix of the log, whatever instant a crash interrupts the removal at (format-spec §4.3).
// The active (newest) segment is never removed. Readers need not stop: one that has a
// removed segment open keeps reading it, one positioned before the new first offset
// continues at the oldest remaining event.
#pragma once

#include <cstdint>
#include <functional>
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
  int64_t now_ns = 0;    // "now" for retain_age_ns and tombstone_retention_ns; 0: the system clock
  // Key compaction (format-spec §13.2), after retention: in every closed segment, remove each
  // keyed event that a newer event with the same key supersedes, and each tombstone (a keyed
  // event with an empty payload) older than now minus tombstone_retention_ns. Events without
  // a key, offsets and order never change. A group behind a removed event continues at the
  // next surviving one; but unless ignore_groups, a tombstone at an offset some group has not
  // acked yet (at or above the lowest group position) stays however old, so that the group
  // still learns of the delete (format-spec §13.2).
  bool keep_latest_per_key = false;
  int64_t tombstone_retention_ns = 24 * 3'600'000'000'000;
  // Called as key compaction goes, with the closed segments examined so far and their number.
  std::function<void(uint64_t done_segments, uint64_t total_segments)> progress;
};

struct CompactedSegment {
  uint64_t base_offset = 0;
  uint64_t end_offset = 0;  // one past its last event
  uint64_t events = 0;
  uint64_t bytes = 0;       // the segment file and its index
  int64_t last_timestamp_ns = 0;
};

// A segment that compaction selected but that stays, and why. For retention, the oldest
// segment that the limits placed below the retention point ("group 'billing' is at offset
// 4100", "it is the active segment"); every newer segment stays too: removal never leaves a
// hole. For key compaction, a segment whose survivors would not fit (KeyCompactionReport).
struct KeptSegment {
  uint64_t base_offset = 0;
  std::string reason;
};

// One closed segment that key compaction rewrote (or, for a dry run, would rewrite).
struct RewrittenSegment {
  uint64_t base_offset = 0;
  uint64_t events_removed = 0;
  uint64_t tombstones_removed = 0;  // of events_removed: keyed events with an empty payload
  uint64_t events_kept = 0;
  uint64_t bytes_before = 0;        // segment file sizes
  uint64_t bytes_after = 0;         // 0 if the segment file is deleted
  bool deleted = false;             // every event removed, and no older segment left
};

struct KeyCompactionReport {
  std::vector<RewrittenSegment> segments;  // only segments that lose events, oldest first
  // Segments that would lose events but stay as they were, oldest first, and why: their
  // survivors, re-encoded, would not fit in the log's segment size (format-spec §13.2).
  // Their events count in none of the totals below.
  std::vector<KeptSegment> kept;
  uint64_t keys = 0;                       // distinct keys in the log
  uint64_t events_removed = 0;
  uint64_t tombstones_removed = 0;
  uint64_t bytes_reclaimed = 0;
  // Expired tombstones that stayed because a group has not acked them, and why
  // ("group 'billing' is at offset 4100"); the reason is empty when none stayed.
  uint64_t tombstones_kept_for_groups = 0;
  std::string tombstones_kept_reason;
};

struct CompactionReport {
  bool dry_run = false;
  std::vector<CompactedSegment> removed;  // oldest first; for a dry run, what would be removed
  std::optional<KeptSegment> kept;
  uint64_t events_removed = 0;
  uint64_t bytes_removed = 0;
  uint64_t first_offset = 0;  // the oldest stored offset afterwards (by retention)
  std::optional<KeyCompactionReport> keys;  // set if keep_latest_per_key
};

// Removes the closed segments below the retention point, each with its index, oldest first,
// syncing the directory after each one; then, with keep_latest_per_key, rewrites each
// closed segment that loses events (under its own name, atomically by rename: a crash
// leaves every segment either old or new, and both read the same newest value per key).
// Holds the append lock throughout, so appends (from this or any process) wait. Memory:
// key compaction keeps one map entry (key bytes and an offset) per distinct key of the log.
// Errors: kInvalidArgument (no limit and no keep_latest_per_key), kCorruption (a segment
// to be examined does not parse: nothing was changed from it on), kIOError (a removal or
// rewrite failed: what was done before it stays, the rest stays as it was), kFailed.
Result<CompactionReport> CompactLog(Log& log, const CompactionOptions& options);

}  // namespace eventlog
