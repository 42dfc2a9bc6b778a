#include "apply/sqlite_handle.h"

#include <sqlite3.h>

#include <fmt/format.h>

namespace evlog {

void SqliteCloser::operator()(sqlite3* db) const { sqlite3_close_v2(db); }
void SqliteCloser::operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }

eventlog::Result<SqliteDb> OpenSqlite(const std::string& path, int flags) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  SqliteDb db(raw);  // a failed open still returns a handle to close
  if (rc != SQLITE_OK) {
    return eventlog::Status::IOError(fmt::format("cannot open {}: {}", path, raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_extended_result_codes(raw, 1);
  return db;
}

eventlog::Status SqliteError(sqlite3* db, std::string_view what) {
  return eventlog::Status::IOError(fmt::format("{}: {}", what, sqlite3_errmsg(db)));
}

eventlog::Status ExecSqlite(sqlite3* db, const std::string& sql) {
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) return SqliteError(db, sql);
  return eventlog::Status::Ok();
}

eventlog::Result<SqliteStatement> PrepareSqlite(sqlite3* db, std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &raw, nullptr) !=
      SQLITE_OK) {
    return SqliteError(db, sql);
  }
  return SqliteStatement(raw);
}

eventlog::Result<bool> StepSqlite(sqlite3_stmt* statement) {
  int rc = sqlite3_step(statement);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return eventlog::Status::IOError(sqlite3_errmsg(sqlite3_db_handle(statement)));
}

eventlog::Status RunSqlite(sqlite3_stmt* statement) {
  eventlog::Result<bool> row = StepSqlite(statement);
  while (row && *row) row = StepSqlite(statement);
  sqlite3_reset(statement);
  sqlite3_clear_bindings(statement);
  return row.status();
}

std::string QuoteSqlIdentifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    out.push_back(c);
    if (c == '"') out.push_back('"');
  }
  out.push_back('"');
  return out;
}

}  // namespace evlog
