// What capture records of a table (format-spec/change-events.md §C2): its captured columns
// in value-list order and its primary key, read from the live schema, and the same as stored
// in `_evlog_capture`.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "sqlite/sqlite_handle.h"
#include "eventlog/status.h"

namespace evlog {

struct TableSchema {
  std::string table;                 // as the schema spells it
  std::vector<std::string> columns;  // value-list order; "rowid" first for a rowid-keyed table
  std::vector<std::string> pk;       // primary-key column names, in key order, or {"rowid"}
  bool rowid_key = false;            // no declared primary key: keyed by the rowid
};

// Reads `table`'s schema now (matching its name without regard to case, as SQLite does).
// kInvalidArgument for what cannot be captured: a missing table, a view, a virtual or
// WITHOUT ROWID table, a rowid-keyed table with a column named rowid, _rowid_ or oid, and
// evlog's own `_evlog_` tables.
eventlog::Result<TableSchema> ReadTableSchema(SqliteDb& db, const std::string& table);

// The captured tables as `_evlog_capture` records them, by name. kNotFound when capture is
// not installed in the database.
eventlog::Result<std::map<std::string, TableSchema>> ReadCapturedTables(SqliteDb& db);

// Whether `_evlog_capture` exists (capture was installed and not fully uninstalled).
eventlog::Result<bool> CaptureInstalled(SqliteDb& db);

// §C2: a JSON array of names, and back.
std::string NamesJson(const std::vector<std::string>& names);
eventlog::Result<std::vector<std::string>> ParseNamesJson(const std::string& json);

}  // namespace evlog
