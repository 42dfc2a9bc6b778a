#include "capture/sqlite_snapshot.h"

#include <chrono>

#include <fmt/format.h>

#include "codec/sql_quote.h"

namespace evlog {

using eventlog::Result;
using eventlog::Status;

namespace {

int64_t NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string SelectRowsSql(const TableSchema& schema) {
  std::string columns;
  for (const std::string& column : schema.columns) {
    if (!columns.empty()) columns += ", ";
    columns += column == "rowid" && schema.rowid_key ? "rowid" : QuoteIdentifier(column);
  }
  return fmt::format("SELECT {} FROM {}", columns, QuoteIdentifier(schema.table));
}

// One `r` event per row of `schema`'s table, appended in batches of the relay's size.
Status SnapshotTable(SqliteDb& db, const TableSchema& schema, const std::string& source_id, int64_t ts_ms,
                     SqliteRelay& relay, eventlog::Log& log) {
  EVLOG_ASSIGN_OR_RETURN(SqliteStatement rows, db.Prepare(SelectRowsSql(schema)));
  eventlog::Batch batch = log.NewBatch();
  for (;;) {
    EVLOG_ASSIGN_OR_RETURN(bool more, rows.Step());
    const bool full = batch.event_count() >= kRelayBatchRows || batch.encoded_bytes() >= kRelayBatchBytes;
    if ((!more || full) && !batch.empty()) {
      EVLOG_RETURN_IF_ERROR(relay.AppendBatch(batch));
      batch.Clear();
    }
    if (!more) return Status::Ok();
    ChangeEvent change{.op = 'r', .table = schema.table, .after = SqlRow{}, .ts_ms = ts_ms, .source_id = source_id};
    for (size_t i = 0; i < schema.columns.size(); ++i) change.after->emplace_back(schema.columns[i], rows.Value(i));
    for (const std::string& column : schema.pk) {
      for (const auto& value : *change.after) {
        if (value.first == column) change.key.push_back(value);
      }
    }
    EVLOG_RETURN_IF_ERROR(AddChange(batch, change).WithContext(fmt::format("snapshot of {}", schema.table)));
  }
}

Result<int64_t> LargestOutboxId(SqliteDb& db) {
  EVLOG_ASSIGN_OR_RETURN(SqliteStatement max, db.Prepare("SELECT coalesce(max(id), 0) FROM _evlog_outbox"));
  EVLOG_ASSIGN_OR_RETURN(bool row, max.Step());
  return row ? max.Int64(0) : 0;
}

Status SnapshotInTransaction(SqliteDb& db, SqliteRelay& relay, eventlog::Log& log) {
  EVLOG_ASSIGN_OR_RETURN(std::unique_ptr<Outbox> outbox, Outbox::Open(db));
  EVLOG_RETURN_IF_ERROR(outbox->CheckSchema());
  EVLOG_ASSIGN_OR_RETURN(int64_t seam, LargestOutboxId(db));
  for (;;) {
    EVLOG_ASSIGN_OR_RETURN(uint64_t appended, relay.AppendFrom(*outbox, seam));
    if (appended == 0) break;
  }
  const int64_t ts_ms = NowMs();
  for (const auto& [name, schema] : outbox->tables()) {
    EVLOG_RETURN_IF_ERROR(SnapshotTable(db, schema, outbox->source_id(), ts_ms, relay, log));
  }
  return Status::Ok();
}

}  // namespace

Status RunSnapshot(SqliteDb& db, SqliteRelay& relay, eventlog::Log& log) {
  // The read transaction spans the whole snapshot: the seam id and every table row come
  // from one state of the database.
  EVLOG_RETURN_IF_ERROR(db.Exec("BEGIN"));
  Status done = SnapshotInTransaction(db, relay, log);
  (void)db.Exec("COMMIT");
  EVLOG_RETURN_IF_ERROR(done);
  return relay.MarkRelayed();
}

}  // namespace evlog
