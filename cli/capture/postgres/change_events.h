// §C7.1 and §C7.3 of format-spec/change-events.md: the evlog events of one committed
// PostgreSQL transaction (envelope, key, headers). Pure: the relay adds them to one batch.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "capture/postgres/transaction_assembler.h"

namespace evlog::pg {

struct PgChangeEvent {
  // §C4's [table, key values...]; none for a change to a table without key columns (one
  // key for all its rows would let key compaction keep only the last change of the table).
  std::optional<std::string> key;
  std::vector<std::pair<std::string, std::string>> headers;  // in §C7.3's order
  std::string payload;
};

// The event's key as Batch::Add takes it: a view of event.key.
inline std::optional<std::string_view> KeyOf(const PgChangeEvent& event) {
  return event.key ? std::optional<std::string_view>(*event.key) : std::nullopt;
}

// "schema.table".
std::string QualifiedName(const PgRelation& relation);

// The events of one change of `transaction`: one for an insert, update or delete, one per
// truncated table for a TRUNCATE. `source_id` is §C7.1's "SYSTEM_ID/DATABASE".
std::vector<PgChangeEvent> ChangeEvents(const Transaction& transaction, const RowChange& change,
                                        std::string_view source_id);

// §C7.5: one row of a snapshot as an `r` event. `row` holds a value for each column of
// `relation` (whose key flags say the key); `consistent_point` is the slot's.
PgChangeEvent SnapshotEvent(const PgRelation& relation, const PgTuple& row, Lsn consistent_point,
                            PgTimestamp read_time, std::string_view source_id);

}  // namespace evlog::pg
