// Finding where committed data ends from the frames themselves (format-spec §6.4, §8.2, §8.3).
//
// HEAD is a hint that is never ahead of durable data, but it can lag behind it: it is never
// synced, so a power loss can leave an older copy, and a writer killed between fdatasync and
// publishing leaves complete batches above it. Two parties need the true end:
//   - a writer's recovery, which then cuts a torn tail and republishes HEAD (log_recovery.cc);
//   - a reader that finds HEAD stale or invalid while no writer holds the lock, which must
//     show every acknowledged event without writing anything (log.cc, ReaderCommittedEnd).
// Both read the log the same way, here, and differ only in what they do with the answer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "eventlog/file_system.h"
#include "format_blocks.h"
#include "segment_scan.h"

namespace eventlog {

struct TailScan {
  std::vector<uint64_t> segments;     // every segment, ascending; empty: creation was interrupted
  uint64_t active_base = 0;           // the newest segment, the only one that may have a tail
  uint64_t file_size = 0;             // of the newest segment
  // HEAD was valid and named the newest segment. Otherwise the newest segment was found by
  // listing the directory, and its directory entry may not be durable yet (a roller died
  // between rename and fsync of the directory): whoever publishes it must sync the directory.
  bool head_names_active = false;
  ScanPosition start;                 // where the scan of the newest segment began
  ScanOutcome scan;                   // from `start` to the file size; scan.end is the end
};

struct TailScanOptions {
  // Also read the newest segment below HEAD's committed end and check that its frames end
  // exactly where HEAD says, with HEAD's next offset and checksum: a writer must not append
  // to a log it cannot show to be intact up to its end (issue: a damaged or replaced active
  // segment was written after).
  bool verify_committed = false;
};

// Reads the newest segment (and the end of its predecessor when HEAD does not name it)
// and classifies what lies beyond the committed end. Modifies nothing. Fails with
// kCorruption when committed data is missing or damaged, or when damage lies before
// checksum-valid frames (§8.3); a torn tail is not an error (scan.reached_end is false).
Result<TailScan> ScanTail(FileSystem* fs, const std::string& dir, const LogMeta& meta,
                          const std::optional<HeadRecord>& head, const TailScanOptions& options = {});

// The highest offset any checksum-valid frame in `data` claims to cover, plus one; 0 if none.
// Used before a damaged newest segment is set aside, so that no offset it may have handed out
// is handed out again.
uint64_t NextOffsetClaimed(std::string_view data);

}  // namespace eventlog
