// §C5.2, on start: what the log already holds of this database's changes.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "eventlog/log.h"
#include "eventlog/status.h"

namespace evlog {

struct RelayedSoFar {
  int64_t largest_outbox_id = 0;  // 0: none of this source's changes are in the log
  uint64_t next_offset = 0;       // where the scan ended: the log's end
  // The payload of each outbox id above FindRelayed's `keep_after` (of a key change, its
  // update's, the last event of the id).
  std::map<int64_t, std::string> payloads;
};

// Reads `log` from `from` (its first offset if absent) to its end and takes the largest
// evlog.outbox_id among events whose evlog.source_id is `source_id`, keeping the payloads
// of ids above `keep_after`.
eventlog::Result<RelayedSoFar> FindRelayed(const eventlog::Log& log, const std::string& source_id,
                                           std::optional<uint64_t> from, int64_t keep_after);

}  // namespace evlog
