// Owning handles for a SQLite connection and its prepared statements, and SQLite's errors as
// eventlog::Status. Shared by the SQLite connectors (apply; capture has its own for now), so
// nothing here knows what the connection is used for.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "eventlog/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace evlog {

struct SqliteCloser {
  void operator()(sqlite3* db) const;
  void operator()(sqlite3_stmt* statement) const;
};
using SqliteDb = std::unique_ptr<sqlite3, SqliteCloser>;
using SqliteStatement = std::unique_ptr<sqlite3_stmt, SqliteCloser>;

// Opens `path` with sqlite3_open_v2 `flags` (SQLITE_OPEN_*); extended result codes on.
eventlog::Result<SqliteDb> OpenSqlite(const std::string& path, int flags);

// `what` followed by the connection's last error message, as kIOError.
eventlog::Status SqliteError(sqlite3* db, std::string_view what);

// Runs SQL without results (one or more statements).
eventlog::Status ExecSqlite(sqlite3* db, const std::string& sql);

eventlog::Result<SqliteStatement> PrepareSqlite(sqlite3* db, std::string_view sql);

// One step: true for a row, false when done; an error carries SQLite's message.
eventlog::Result<bool> StepSqlite(sqlite3_stmt* statement);

// Steps a statement that returns no rows to its end, then resets it and clears its bindings
// for the next use, whether it succeeded or not.
eventlog::Status RunSqlite(sqlite3_stmt* statement);

// "name" with every " doubled: any string as an SQL identifier.
std::string QuoteSqlIdentifier(std::string_view name);

}  // namespace evlog
