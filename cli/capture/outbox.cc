#include "capture/outbox.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include "capture/value_list.h"

namespace evlog {

using eventlog::Result;
using eventlog::Status;

namespace {

Status Corrupt(const SqliteDb& db, int64_t id, const std::string& what) {
  return Status::Corruption(fmt::format("{}: outbox row {}: {}", db.path(), id, what));
}

// The names in `now` that `then` lacks, for the message that tells what changed.
std::string Added(const std::vector<std::string>& now, const std::vector<std::string>& then) {
  std::string added;
  for (const std::string& name : now) {
    if (std::find(then.begin(), then.end(), name) != then.end()) continue;
    added += (added.empty() ? "" : ", ") + name;
  }
  return added.empty() ? "" : fmt::format(" (new: {})", added);
}

}  // namespace

Result<std::unique_ptr<Outbox>> Outbox::Open(SqliteDb& db) {
  std::unique_ptr<Outbox> outbox(new Outbox(db));
  EVLOG_ASSIGN_OR_RETURN(outbox->tables_, ReadCapturedTables(db));
  EVLOG_ASSIGN_OR_RETURN(outbox->read_rows_,
                         db.Prepare("SELECT id, tbl, op, at_ms, before, after FROM _evlog_outbox "
                                    "WHERE id > ?1 AND id <= ?2 ORDER BY id LIMIT ?3"));
  EVLOG_ASSIGN_OR_RETURN(outbox->delete_rows_, db.Prepare("DELETE FROM _evlog_outbox WHERE id <= ?1"));
  EVLOG_ASSIGN_OR_RETURN(outbox->set_meta_,
                         db.Prepare("INSERT OR REPLACE INTO _evlog_meta (key, value) VALUES "
                                    "('relay_log_id', ?1), ('relay_offset', ?2), ('relay_outbox_id', ?3)"));
  EVLOG_ASSIGN_OR_RETURN(outbox->get_meta_, db.Prepare("SELECT CAST(value AS TEXT) FROM _evlog_meta WHERE key = ?1"));
  EVLOG_ASSIGN_OR_RETURN(outbox->cast_real_, db.Prepare("SELECT CAST(?1 AS REAL)"));
  EVLOG_ASSIGN_OR_RETURN(outbox->data_version_, db.Prepare("PRAGMA data_version"));
  EVLOG_ASSIGN_OR_RETURN(outbox->schema_version_stmt_, db.Prepare("PRAGMA schema_version"));
  EVLOG_ASSIGN_OR_RETURN(auto source_id, outbox->Meta("source_id"));
  if (!source_id || source_id->size() != 32) {
    return Status::Corruption(fmt::format("{}: _evlog_meta has no valid source_id; run --install again", db.path()));
  }
  outbox->source_id_ = *source_id;
  return outbox;
}

Result<std::optional<std::string>> Outbox::Meta(const std::string& key) {
  EVLOG_RETURN_IF_ERROR(get_meta_.BindText(1, key));
  auto row = get_meta_.Step();
  std::optional<std::string> value;
  if (row && *row && !get_meta_.IsNull(0)) value = std::string(get_meta_.Text(0));
  get_meta_.Reset();
  if (!row) return row.error();
  return value;
}

Result<int64_t> Outbox::LastAssignedId() {
  EVLOG_ASSIGN_OR_RETURN(SqliteStatement seq,
                         db_.Prepare("SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = "
                                     "'_evlog_outbox'), 0), coalesce((SELECT max(id) FROM _evlog_outbox), 0))"));
  EVLOG_ASSIGN_OR_RETURN(bool row, seq.Step());
  return row ? seq.Int64(0) : 0;
}

Status Outbox::ReadRows(int64_t after_id, int64_t up_to, std::vector<OutboxRow>* rows) {
  rows->clear();
  EVLOG_RETURN_IF_ERROR(read_rows_.BindInt64(1, after_id));
  EVLOG_RETURN_IF_ERROR(read_rows_.BindInt64(2, up_to));
  EVLOG_RETURN_IF_ERROR(read_rows_.BindInt64(3, kRelayBatchRows));
  size_t bytes = 0;
  while (bytes < kRelayBatchBytes) {
    auto more = read_rows_.Step();
    if (!more) return more.error();
    if (!*more) break;
    OutboxRow& row = rows->emplace_back();
    row.id = read_rows_.Int64(0);
    row.table = read_rows_.Text(1);
    const std::string_view op = read_rows_.Text(2);
    row.op = op.size() == 1 ? op[0] : '?';
    row.at_ms = read_rows_.Int64(3);
    if (!read_rows_.IsNull(4)) row.before = read_rows_.Text(4);
    if (!read_rows_.IsNull(5)) row.after = read_rows_.Text(5);
    bytes += row.table.size() + (row.before ? row.before->size() : 0) + (row.after ? row.after->size() : 0);
  }
  read_rows_.Reset();  // ends the read transaction before anything else happens
  return Status::Ok();
}

Result<SqlRow> Outbox::ParseRow(const OutboxRow& row, const TableSchema& schema, const std::string& list) {
  auto values = ParseValueList(list, [this](std::string_view literal) { return ParseReal(literal); });
  if (!values) return Corrupt(db_, row.id, values.error().message());
  // A row recorded before an ALTER TABLE ... ADD COLUMN (and a re-install) has fewer values:
  // the columns of its time, a prefix of today's (§C2).
  if (values->size() > schema.columns.size()) {
    return Corrupt(db_, row.id,
                   fmt::format("{} values for the {} columns of {}", values->size(), schema.columns.size(), row.table));
  }
  SqlRow out;
  for (size_t i = 0; i < values->size(); ++i) out.emplace_back(schema.columns[i], std::move((*values)[i]));
  return out;
}

Result<ChangeEvent> Outbox::ToChange(const OutboxRow& row) {
  auto schema = tables_.find(row.table);
  if (schema == tables_.end()) return Corrupt(db_, row.id, fmt::format("table {} is not in _evlog_capture", row.table));
  if (std::string_view("cud").find(row.op) == std::string_view::npos) {
    return Corrupt(db_, row.id, "op is not c, u or d");
  }
  if (row.before.has_value() != (row.op != 'c') || row.after.has_value() != (row.op != 'd')) {
    return Corrupt(db_, row.id, fmt::format("op {} with {} before and {} after", row.op, row.before ? "a" : "no",
                                            row.after ? "an" : "no"));
  }
  ChangeEvent change{.op = row.op, .table = row.table, .ts_ms = row.at_ms, .source_id = source_id_, .outbox_id = row.id};
  if (row.before) {
    EVLOG_ASSIGN_OR_RETURN(change.before, ParseRow(row, schema->second, *row.before));
  }
  if (row.after) {
    EVLOG_ASSIGN_OR_RETURN(change.after, ParseRow(row, schema->second, *row.after));
  }
  const SqlRow& keyed = change.after ? *change.after : *change.before;
  for (const std::string& column : schema->second.pk) {
    auto value = std::find_if(keyed.begin(), keyed.end(), [&](const auto& c) { return c.first == column; });
    if (value == keyed.end()) return Corrupt(db_, row.id, fmt::format("no value for key column {}", column));
    change.key.push_back(*value);
  }
  return change;
}

Status Outbox::MarkRelayed(int64_t up_to, const std::string& log_id, uint64_t next_offset) {
  EVLOG_RETURN_IF_ERROR(db_.Exec("BEGIN IMMEDIATE"));
  Status done = delete_rows_.BindInt64(1, up_to);
  if (done.ok()) done = delete_rows_.Run();
  if (done.ok()) done = set_meta_.BindText(1, log_id);
  if (done.ok()) done = set_meta_.BindInt64(2, static_cast<int64_t>(next_offset));
  if (done.ok()) done = set_meta_.BindInt64(3, up_to);
  if (done.ok()) done = set_meta_.Run();
  if (done.ok()) done = db_.Exec("COMMIT");
  if (!done.ok()) (void)db_.Exec("ROLLBACK");
  return done;
}

Result<int64_t> Outbox::DataVersion() {
  EVLOG_ASSIGN_OR_RETURN(bool row, data_version_.Step());
  const int64_t version = row ? data_version_.Int64(0) : 0;
  data_version_.Reset();
  return version;
}

Result<bool> Outbox::HasTriggers(const std::string& table) {
  EVLOG_ASSIGN_OR_RETURN(SqliteStatement trigger,
                         db_.Prepare("SELECT 1 FROM sqlite_schema WHERE type = 'trigger' AND name = ?1"));
  EVLOG_RETURN_IF_ERROR(trigger.BindText(1, fmt::format("_evlog_{}_insert", table)));
  return trigger.Step();
}

Status Outbox::CheckSchema() {
  EVLOG_ASSIGN_OR_RETURN(bool row, schema_version_stmt_.Step());
  const int64_t version = row ? schema_version_stmt_.Int64(0) : 0;
  schema_version_stmt_.Reset();
  if (version == schema_version_) return Status::Ok();
  EVLOG_ASSIGN_OR_RETURN(tables_, ReadCapturedTables(db_));
  for (const auto& [name, captured] : tables_) {
    EVLOG_ASSIGN_OR_RETURN(bool live, HasTriggers(name));
    if (!live) continue;  // uninstalled, only its last changes wait in the outbox
    EVLOG_ASSIGN_OR_RETURN(TableSchema now, ReadTableSchema(db_, name));
    if (now.columns == captured.columns && now.pk == captured.pk) continue;
    return Status::InvalidArgument(fmt::format(
        "{}: the schema of captured table {} has changed: its columns are now {}, its triggers record {}{}; "
        "nothing more is relayed until you run: evlog capture sqlite {} --install -t {}",
        db_.path(), name, NamesJson(now.columns), NamesJson(captured.columns), Added(now.columns, captured.columns),
        db_.path(), name));
  }
  schema_version_ = version;
  return Status::Ok();
}

// quote()'s text of a REAL holds enough digits to name one binary64, but SQLite's own
// text-to-real conversion is not correctly rounded for every input (3.40 moves some values
// near 1e-290 by one unit in the last place), so the text is read with from_chars, which
// is. What from_chars does not take (quote()'s 9.0e+999 for an infinity) goes to SQLite.
Result<double> Outbox::ParseReal(std::string_view literal) {
  double parsed = 0;
  const auto [end, error] = std::from_chars(literal.data(), literal.data() + literal.size(), parsed);
  if (error == std::errc() && end == literal.data() + literal.size()) return parsed;
  EVLOG_RETURN_IF_ERROR(cast_real_.BindText(1, literal));
  auto row = cast_real_.Step();
  const double value = row && *row ? cast_real_.Double(0) : 0;
  cast_real_.Reset();
  if (!row) return row.error();
  return value;
}

}  // namespace evlog
