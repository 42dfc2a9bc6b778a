#include "capture/sqlite_install.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "capture/table_schema.h"
#include "codec/sql_quote.h"

namespace evlog {

using eventlog::Result;
using eventlog::Status;

namespace {

constexpr char kCreateTables[] = R"(
CREATE TABLE IF NOT EXISTS _evlog_meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS _evlog_capture (
  tbl TEXT PRIMARY KEY,
  columns TEXT NOT NULL,
  pk TEXT NOT NULL,
  installed_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS _evlog_outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tbl TEXT NOT NULL,
  op TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  before TEXT,
  after TEXT
);
INSERT OR IGNORE INTO _evlog_meta (key, value) VALUES ('source_id', lower(hex(randomblob(16))));
)";

// Milliseconds since the Unix epoch, for the statement that fires the trigger.
constexpr char kNowMs[] = "CAST(round((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER)";

constexpr const char* kTriggerKinds[] = {"insert", "update", "delete"};

std::string TriggerName(const std::string& table, std::string_view kind) {
  return QuoteIdentifier(fmt::format("_evlog_{}_{}", table, kind));
}

// §C1.2: one value as a literal. quote() stops at a NUL inside TEXT, so such text goes
// through its bytes, marked with a leading T.
std::string ValueLiteralSql(std::string_view row, const std::string& column) {
  const std::string v = column == "rowid" ? fmt::format("{}.rowid", row) : fmt::format("{}.{}", row, QuoteIdentifier(column));
  return fmt::format(
      "CASE WHEN typeof({0}) = 'text' AND instr(CAST({0} AS BLOB), X'00') > 0 "
      "THEN 'T' || quote(CAST({0} AS BLOB)) ELSE quote({0}) END",
      v);
}

std::string ValueListSql(std::string_view row, const TableSchema& schema) {
  std::string sql;
  for (const std::string& column : schema.columns) {
    if (!sql.empty()) sql += " || ',' || ";
    sql += ValueLiteralSql(row, column);
  }
  return sql;
}

std::string TriggerSql(const TableSchema& schema, std::string_view kind) {
  const char op = kind[0] == 'i' ? 'c' : kind[0];
  const std::string before = op == 'c' ? "NULL" : ValueListSql("OLD", schema);
  const std::string after = op == 'd' ? "NULL" : ValueListSql("NEW", schema);
  return fmt::format(
      "CREATE TRIGGER {} AFTER {} ON {} FOR EACH ROW BEGIN "
      "INSERT INTO _evlog_outbox (tbl, op, at_ms, before, after) VALUES ({}, '{}', {}, {}, {}); END;",
      TriggerName(schema.table, kind), kind == "insert" ? "INSERT" : kind == "update" ? "UPDATE" : "DELETE",
      QuoteIdentifier(schema.table), QuoteLiteral(schema.table), op, kNowMs, before, after);
}

std::string DropTriggersSql(const std::string& table) {
  std::string sql;
  for (const char* kind : kTriggerKinds) sql += fmt::format("DROP TRIGGER IF EXISTS {};\n", TriggerName(table, kind));
  return sql;
}

Result<int64_t> CountRows(SqliteDb& db, const std::string& sql, const std::string& param);

// The relay reads each waiting outbox row of a table by the column list `_evlog_capture`
// holds now (§C2). Re-installing replaces that list. While the table's triggers exist, the
// positions of its columns cannot change (SQLite refuses DROP COLUMN of a column a trigger
// names, and RENAME COLUMN rewrites the triggers): waiting rows read right under the new
// list. After an --uninstall anything may have changed; rows recorded before stay readable
// only if their list is a prefix of the new one (columns added at the end). A dropped
// column would have shifted their values under other names, silently (a review saw a
// password relayed as `note`), so such a re-install waits until those rows are relayed.
Status CheckWaitingRowsKeepTheirColumns(SqliteDb& db, const TableSchema& now,
                                        const std::map<std::string, TableSchema>& captured) {
  auto before = captured.find(now.table);
  if (before == captured.end()) return Status::Ok();
  EVLOG_ASSIGN_OR_RETURN(int64_t triggers,
                         CountRows(db, "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name = ?1",
                                   fmt::format("_evlog_{}_insert", now.table)));
  if (triggers > 0) return Status::Ok();
  const std::vector<std::string>& old_columns = before->second.columns;
  const bool extends = old_columns.size() <= now.columns.size() &&
                       std::equal(old_columns.begin(), old_columns.end(), now.columns.begin());
  if (extends) return Status::Ok();
  EVLOG_ASSIGN_OR_RETURN(int64_t waiting, CountRows(db, "SELECT count(*) FROM _evlog_outbox WHERE tbl = ?1", now.table));
  if (waiting == 0) return Status::Ok();
  return Status::InvalidArgument(fmt::format(
      "{}: {} changes of table {} wait in the outbox, recorded with the columns {}, and its columns are now {}: "
      "relay them first (evlog capture sqlite {} LOG), then install again",
      db.path(), waiting, now.table, NamesJson(old_columns), NamesJson(now.columns), db.path()));
}

// Triggers of ours that are on the table under another table's name: ALTER TABLE ... RENAME
// moves a table's triggers with it, so re-installing the renamed table would add a second
// set and record every change twice.
Result<std::string> DropMovedTriggersSql(SqliteDb& db, const std::string& table) {
  EVLOG_ASSIGN_OR_RETURN(SqliteStatement select,
                         db.Prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?1 "
                                    "AND substr(name, 1, 7) = '_evlog_'"));
  EVLOG_RETURN_IF_ERROR(select.BindText(1, table));
  std::string sql;
  while (true) {
    EVLOG_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) break;
    sql += fmt::format("DROP TRIGGER IF EXISTS {};\n", QuoteIdentifier(select.Text(0)));
  }
  return sql;
}

Result<std::string> InstallTable(SqliteDb& db, const std::string& table,
                                 const std::map<std::string, TableSchema>& captured) {
  EVLOG_ASSIGN_OR_RETURN(TableSchema schema, ReadTableSchema(db, table));
  EVLOG_RETURN_IF_ERROR(CheckWaitingRowsKeepTheirColumns(db, schema, captured));
  EVLOG_ASSIGN_OR_RETURN(std::string sql, DropMovedTriggersSql(db, schema.table));
  sql += DropTriggersSql(schema.table);
  for (const char* kind : kTriggerKinds) sql += TriggerSql(schema, kind) + "\n";
  sql += fmt::format(
      "INSERT OR REPLACE INTO _evlog_capture (tbl, columns, pk, installed_ms) VALUES ({}, {}, {}, {});",
      QuoteLiteral(schema.table), QuoteLiteral(NamesJson(schema.columns)), QuoteLiteral(NamesJson(schema.pk)),
      kNowMs);
  EVLOG_RETURN_IF_ERROR(db.Exec(sql));
  return fmt::format("capturing {} (columns {}, key {})", schema.table, NamesJson(schema.columns),
                     NamesJson(schema.pk));
}

// Runs `body` in one write transaction, rolled back on any error.
Result<std::vector<std::string>> InTransaction(SqliteDb& db,
                                               const std::function<Result<std::vector<std::string>>()>& body) {
  EVLOG_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
  auto done = body();
  Status ended = done ? db.Exec("COMMIT") : db.Exec("ROLLBACK");
  if (!done) return done;
  if (!ended.ok()) {
    (void)db.Exec("ROLLBACK");
    return ended;
  }
  return done;
}

Result<int64_t> CountRows(SqliteDb& db, const std::string& sql, const std::string& param) {
  EVLOG_ASSIGN_OR_RETURN(SqliteStatement count, db.Prepare(sql));
  if (!param.empty()) EVLOG_RETURN_IF_ERROR(count.BindText(1, param));
  EVLOG_ASSIGN_OR_RETURN(bool row, count.Step());
  return row ? count.Int64(0) : 0;
}

// Forgets one table; its _evlog_capture row stays while outbox rows of it wait, since the
// relay needs its column names to relay them.
Result<std::string> UninstallTable(SqliteDb& db, const std::string& table) {
  EVLOG_RETURN_IF_ERROR(db.Exec(DropTriggersSql(table)));
  EVLOG_ASSIGN_OR_RETURN(int64_t pending, CountRows(db, "SELECT count(*) FROM _evlog_outbox WHERE tbl = ?1", table));
  if (pending > 0) {
    return fmt::format("{}: triggers dropped; {} of its changes still wait in the outbox (relay them, then "
                       "--uninstall again to remove the rest)",
                       table, pending);
  }
  EVLOG_RETURN_IF_ERROR(db.Exec("DELETE FROM _evlog_capture WHERE tbl = " + QuoteLiteral(table)));
  return fmt::format("{}: no longer captured", table);
}

Result<std::vector<std::string>> UninstallTables(SqliteDb& db, std::vector<std::string> tables) {
  EVLOG_ASSIGN_OR_RETURN(auto captured, ReadCapturedTables(db));
  if (tables.empty()) {
    for (const auto& [name, schema] : captured) tables.push_back(name);
  }
  std::vector<std::string> done;
  for (const std::string& table : tables) {
    if (!captured.contains(table)) {
      return Status::InvalidArgument(fmt::format("{}: table {} is not captured (see the _evlog_capture table)",
                                                 db.path(), table));
    }
    EVLOG_ASSIGN_OR_RETURN(std::string line, UninstallTable(db, table));
    done.push_back(std::move(line));
  }
  EVLOG_ASSIGN_OR_RETURN(int64_t left, CountRows(db, "SELECT count(*) FROM _evlog_capture", ""));
  EVLOG_ASSIGN_OR_RETURN(int64_t pending, CountRows(db, "SELECT count(*) FROM _evlog_outbox", ""));
  if (left == 0 && pending == 0) {
    EVLOG_RETURN_IF_ERROR(db.Exec("DROP TABLE _evlog_outbox; DROP TABLE _evlog_capture; DROP TABLE _evlog_meta; "
                                  "DELETE FROM sqlite_sequence WHERE name = '_evlog_outbox';"));
    done.push_back("capture removed from " + db.path());
  } else {
    done.push_back(fmt::format("left in {}: {} captured table(s), {} change(s) in the outbox", db.path(), left,
                               pending));
  }
  return done;
}

}  // namespace

Result<std::vector<std::string>> InstallCapture(SqliteDb& db, const std::vector<std::string>& tables) {
  return InTransaction(db, [&]() -> Result<std::vector<std::string>> {
    EVLOG_RETURN_IF_ERROR(db.Exec(kCreateTables));
    EVLOG_ASSIGN_OR_RETURN(const auto captured, ReadCapturedTables(db));
    std::vector<std::string> done;
    for (const std::string& table : tables) {
      EVLOG_ASSIGN_OR_RETURN(std::string line, InstallTable(db, table, captured));
      done.push_back(std::move(line));
    }
    return done;
  });
}

Result<std::vector<std::string>> UninstallCapture(SqliteDb& db, const std::vector<std::string>& tables) {
  EVLOG_ASSIGN_OR_RETURN(bool installed, CaptureInstalled(db));
  if (!installed) return std::vector<std::string>{"capture is not installed in " + db.path() + ": nothing to do"};
  return InTransaction(db, [&] { return UninstallTables(db, tables); });
}

}  // namespace evlog
