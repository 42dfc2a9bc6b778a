// §C5.2, on start: what the log already holds of this database's changes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "eventlog/log.h"
#include "eventlog/status.h"

namespace evlog {

struct RelayedSoFar {
  int64_t largest_outbox_id = 0;  // 0: none of this source's changes are in the log
  uint64_t next_offset = 0;       // where the scan ended: the log's end
};

// Reads `log` from `from` (its first offset if absent) to its end and takes the largest
// evlog.outbox_id among events whose evlog.source_id is `source_id`.
eventlog::Result<RelayedSoFar> FindRelayed(const eventlog::Log& log, const std::string& source_id,
                                           std::optional<uint64_t> from);

}  // namespace evlog
