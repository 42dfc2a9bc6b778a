// §C7.5 --snapshot: every row of the publication's tables as of the slot's consistent point,
// read on a second connection inside the snapshot the slot exported, as `r` events before
// the stream. Changes after that point come from the slot, so none is lost or doubled at
// the seam.
#pragma once

#include <cstdint>
#include <string>

#include "capture/postgres/admin_connection.h"
#include "capture/postgres/replication_connection.h"
#include "eventlog/log.h"
#include "eventlog/status.h"

namespace evlog::pg {

// Reads and appends the snapshot `slot` exported (valid until the replication connection's
// next command); returns how many rows it appended. Rows go in batches of at most
// kSnapshotBatchRows or what one batch of the log holds.
eventlog::Result<uint64_t> AppendSnapshot(AdminConnection& connection, const CreatedSlot& slot,
                                          const std::string& publication, const std::string& source_id,
                                          eventlog::Log& log);

inline constexpr uint64_t kSnapshotBatchRows = 10000;

}  // namespace evlog::pg
