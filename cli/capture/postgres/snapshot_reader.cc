#include "capture/postgres/snapshot_reader.h"

#include <chrono>
#include <cstdlib>

#include <fmt/format.h>

#include "capture/postgres/change_events.h"
#include "capture/postgres/replication_messages.h"

namespace evlog::pg {

using eventlog::Result;
using eventlog::Status;

namespace {

// The key columns the stream would flag (§C7.1): the replica identity index's, the primary
// key's under the default identity, all under FULL, none under NOTHING.
constexpr char kKeyColumnsSql[] = R"(
SELECT a.attname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
WHERE c.oid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped AND (
  c.relreplident = 'f' OR EXISTS (
    SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND a.attnum = ANY(i.indkey)
      AND ((c.relreplident = 'i' AND i.indisreplident) OR (c.relreplident = 'd' AND i.indisprimary))))
)";

// Appends `batch` if it holds anything and starts a new one.
Status Flush(eventlog::Log& log, eventlog::Batch& batch) {
  if (batch.empty()) return Status::Ok();
  EVLOG_RETURN_IF_ERROR(log.Append(batch, {.sync = true}).status());
  batch.Clear();
  return Status::Ok();
}

Status AddEvent(eventlog::Log& log, eventlog::Batch& batch, const PgChangeEvent& event) {
  std::vector<eventlog::HeaderView> headers;
  for (const auto& [name, value] : event.headers) headers.push_back({name, value});
  const eventlog::EventInput input{.key = KeyOf(event), .headers = headers, .payload = event.payload};
  if (batch.event_count() >= kSnapshotBatchRows) EVLOG_RETURN_IF_ERROR(Flush(log, batch));
  if (batch.Add(input).ok()) return Status::Ok();
  // Full: the row starts the next batch (a row too large for any batch is an error).
  EVLOG_RETURN_IF_ERROR(Flush(log, batch));
  return batch.Add(input);
}

PgTimestamp NowPgMicros() {
  const auto since_unix = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  return since_unix.count() - kPgEpochMicrosAfterUnix;
}

Result<uint64_t> AppendTable(AdminConnection& db, const std::string& schema, const std::string& name,
                             const std::string& source_id, Lsn consistent_point, eventlog::Log& log) {
  EVLOG_ASSIGN_OR_RETURN(std::string quoted_schema, db.QuoteIdentifier(schema));
  EVLOG_ASSIGN_OR_RETURN(std::string quoted_name, db.QuoteIdentifier(name));
  const std::string qualified = quoted_schema + "." + quoted_name;
  EVLOG_ASSIGN_OR_RETURN(PgResultPtr keys, db.Exec(kKeyColumnsSql, {qualified}, PGRES_TUPLES_OK,
                                                   fmt::format("key columns of {}.{}", schema, name)));
  std::vector<std::string> key_names;
  for (int i = 0; i < PQntuples(keys.get()); ++i) key_names.push_back(PQgetvalue(keys.get(), i, 0));
  // Whole table in one result: bounded by the table's size, which the server holds anyway.
  EVLOG_ASSIGN_OR_RETURN(PgResultPtr rows, db.Exec("SELECT * FROM " + qualified, {}, PGRES_TUPLES_OK,
                                                   fmt::format("read {}.{}", schema, name)));
  PgRelation relation;
  relation.schema = schema;
  relation.name = name;
  for (int c = 0; c < PQnfields(rows.get()); ++c) {
    PgColumn column;
    column.name = PQfname(rows.get(), c);
    column.type_oid = PQftype(rows.get(), c);
    for (const std::string& key : key_names) column.key = column.key || key == column.name;
    relation.columns.push_back(std::move(column));
  }
  const PgTimestamp read_time = NowPgMicros();
  eventlog::Batch batch = log.NewBatch();
  PgTuple row(relation.columns.size());
  for (int r = 0; r < PQntuples(rows.get()); ++r) {
    for (int c = 0; c < PQnfields(rows.get()); ++c) {
      const bool null = PQgetisnull(rows.get(), r, c);
      row[c] = {null ? PgValue::Kind::kNull : PgValue::Kind::kText,
                null ? std::string() : std::string(PQgetvalue(rows.get(), r, c), PQgetlength(rows.get(), r, c))};
    }
    Status added = AddEvent(log, batch, SnapshotEvent(relation, row, consistent_point, read_time, source_id));
    if (!added.ok()) return added.WithContext(fmt::format("snapshot of {}.{}, row {}", schema, name, r + 1));
  }
  EVLOG_RETURN_IF_ERROR(Flush(log, batch));
  return static_cast<uint64_t>(PQntuples(rows.get()));
}

}  // namespace

Result<uint64_t> AppendSnapshot(AdminConnection& db, const CreatedSlot& slot, const std::string& publication,
                                const std::string& source_id, eventlog::Log& log) {
  EVLOG_RETURN_IF_ERROR(
      db.Exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", {}, PGRES_COMMAND_OK, "begin the snapshot").status());
  // SET TRANSACTION SNAPSHOT takes no parameter; the name comes from the server.
  EVLOG_RETURN_IF_ERROR(db.Exec(fmt::format("SET TRANSACTION SNAPSHOT '{}'", slot.snapshot_name), {},
                                PGRES_COMMAND_OK, "set the slot's snapshot")
                            .status());
  EVLOG_ASSIGN_OR_RETURN(PgResultPtr tables,
                         db.Exec("SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = $1 "
                                 "ORDER BY 1, 2",
                                 {publication}, PGRES_TUPLES_OK, "list the publication's tables"));
  uint64_t appended = 0;
  for (int t = 0; t < PQntuples(tables.get()); ++t) {
    EVLOG_ASSIGN_OR_RETURN(uint64_t rows, AppendTable(db, PQgetvalue(tables.get(), t, 0), PQgetvalue(tables.get(), t, 1),
                                                      source_id, slot.consistent_point, log));
    appended += rows;
  }
  EVLOG_RETURN_IF_ERROR(db.Exec("COMMIT", {}, PGRES_COMMAND_OK, "end the snapshot").status());
  return appended;
}

}  // namespace evlog::pg
