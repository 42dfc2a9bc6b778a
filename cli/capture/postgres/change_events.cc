#include "capture/postgres/change_events.h"

#include <algorithm>

#include <fmt/format.h>

#include "capture/postgres/pg_value.h"
#include "capture/postgres/replication_messages.h"
#include "codec/json_envelope.h"

namespace evlog::pg {
namespace {

enum class Columns { kAll, kKey };

// A tuple as a JSON object of its columns (all, or only the replica-identity ones).
void AppendRow(std::string* out, const PgRelation& relation, const PgTuple& row, Columns which) {
  out->push_back('{');
  bool first = true;
  for (size_t i = 0; i < relation.columns.size() && i < row.size(); ++i) {
    const PgColumn& column = relation.columns[i];
    if (which == Columns::kKey && !column.key) continue;
    if (!first) out->push_back(',');
    first = false;
    AppendJsonString(column.name, out);
    out->push_back(':');
    AppendPgValue(out, column.type_oid, row[i]);
  }
  out->push_back('}');
}

// The key's values in column order, each after a comma: the tail of §C4's key array.
void AppendKeyValues(std::string* out, const PgRelation& relation, const PgTuple& row) {
  for (size_t i = 0; i < relation.columns.size() && i < row.size(); ++i) {
    if (!relation.columns[i].key) continue;
    out->push_back(',');
    AppendPgValue(out, relation.columns[i].type_oid, row[i]);
  }
}

PgChangeEvent MakeEvent(const Transaction& txn, char op, const PgRelation& relation, const PgTuple* key_row,
                        const PgTuple* before, Columns before_columns, const PgTuple* after,
                        std::string_view source_id) {
  const std::string table = QualifiedName(relation);
  const std::string lsn = FormatLsn(txn.commit_lsn);
  PgChangeEvent event;
  const bool has_key_columns =
      std::any_of(relation.columns.begin(), relation.columns.end(), [](const auto& column) { return column.key; });
  if (has_key_columns || op == 't') {  // a TRUNCATE is keyed by its table, for every kind of table
    std::string key = "[";
    AppendJsonString(table, &key);
    if (key_row != nullptr) AppendKeyValues(&key, relation, *key_row);
    key.push_back(']');
    event.key = std::move(key);
  }

  std::string& p = event.payload;
  p = R"({"op":")";
  p.push_back(op);
  p += R"(","table":)";
  AppendJsonString(table, &p);
  p += R"(,"key":)";
  if (key_row != nullptr) {
    AppendRow(&p, relation, *key_row, Columns::kKey);
  } else {
    p += "null";
  }
  p += R"(,"before":)";
  if (before != nullptr) {
    AppendRow(&p, relation, *before, before_columns);
  } else {
    p += "null";
  }
  p += R"(,"after":)";
  if (after != nullptr) {
    AppendRow(&p, relation, *after, Columns::kAll);
  } else {
    p += "null";
  }
  // Floor division: a commit time before 1970 still gives the millisecond it falls in.
  const int64_t unix_micros = txn.commit_time + kPgEpochMicrosAfterUnix;
  const int64_t ts_ms = unix_micros / 1000 - (unix_micros % 1000 < 0 ? 1 : 0);
  fmt::format_to(std::back_inserter(p), R"(,"ts_ms":{},"source":{{"connector":"postgres","source_id":)", ts_ms);
  AppendJsonString(source_id, &p);
  // A snapshot row belongs to no transaction: its lsn is the slot's consistent point.
  if (op == 'r') {
    fmt::format_to(std::back_inserter(p), R"(,"lsn":"{}","snapshot":true}}}})", lsn);
  } else {
    fmt::format_to(std::back_inserter(p), R"(,"xid":{},"lsn":"{}","commit_time":"{}"}}}})", txn.xid, lsn,
                   PgTimestampToRfc3339(txn.commit_time));
  }

  event.headers = {{"evlog.op", std::string(1, op)}, {"evlog.table", table}, {"evlog.source_id", std::string(source_id)}};
  if (op != 'r') event.headers.emplace_back("evlog.xid", std::to_string(txn.xid));
  event.headers.emplace_back("evlog.lsn", lsn);
  return event;
}

// Whether the update's old row, as the server sent it, has other key values than its new
// row: compared as the text pgoutput sent, which is the type's output, the same for equal
// values of one column (an unchanged-TOAST mark never stands for a key column).
bool KeyChanged(const PgRelation& relation, const PgTuple& old_row, const PgTuple& new_row) {
  for (size_t i = 0; i < relation.columns.size() && i < old_row.size() && i < new_row.size(); ++i) {
    if (!relation.columns[i].key) continue;
    if (old_row[i].kind != new_row[i].kind || old_row[i].text != new_row[i].text) return true;
  }
  return false;
}

}  // namespace

std::string QualifiedName(const PgRelation& relation) {
  // pgoutput sends an empty namespace for pg_catalog.
  return fmt::format("{}.{}", relation.schema.empty() ? "pg_catalog" : relation.schema, relation.name);
}

std::vector<PgChangeEvent> ChangeEvents(const Transaction& txn, const RowChange& change, std::string_view source_id) {
  std::vector<PgChangeEvent> events;
  const PgRelation& relation = *change.relation;
  // The old row: all columns under REPLICA IDENTITY FULL ('O'), the key columns when the
  // server sent only those ('K': the other columns arrive as NULL and mean nothing).
  const bool has_old = change.old_kind != PgOldRow::kNone;
  const Columns old_columns = change.old_kind == PgOldRow::kFull ? Columns::kAll : Columns::kKey;
  const PgTuple* old_row = has_old ? &change.old_row : nullptr;
  switch (change.op) {
    case RowChange::Op::kInsert:
      events.push_back(MakeEvent(txn, 'c', relation, &change.new_row, nullptr, Columns::kAll, &change.new_row,
                                 source_id));
      break;
    case RowChange::Op::kUpdate: {
      PgChangeEvent update =
          MakeEvent(txn, 'u', relation, &change.new_row, old_row, old_columns, &change.new_row, source_id);
      // A key change is two events (§C7.3): the delete of the old key, then the update.
      if (old_row != nullptr && update.key && KeyChanged(relation, *old_row, change.new_row)) {
        PgChangeEvent removal = MakeEvent(txn, 'd', relation, old_row, old_row, old_columns, nullptr, source_id);
        removal.headers.emplace_back("evlog.new_key", *update.key);
        events.push_back(std::move(removal));
      }
      events.push_back(std::move(update));
      break;
    }
    case RowChange::Op::kDelete:
      events.push_back(MakeEvent(txn, 'd', relation, &change.old_row, old_row, old_columns, nullptr, source_id));
      break;
    case RowChange::Op::kTruncate:
      for (const auto& truncated : change.truncated) {
        events.push_back(MakeEvent(txn, 't', *truncated, nullptr, nullptr, Columns::kAll, nullptr, source_id));
      }
      break;
  }
  return events;
}

PgChangeEvent SnapshotEvent(const PgRelation& relation, const PgTuple& row, Lsn consistent_point,
                            PgTimestamp read_time, std::string_view source_id) {
  Transaction read;
  read.commit_lsn = consistent_point;
  read.commit_time = read_time;
  return MakeEvent(read, 'r', relation, &row, nullptr, Columns::kAll, &row, source_id);
}

}  // namespace evlog::pg
