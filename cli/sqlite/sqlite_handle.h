// Owning handles for a SQLite connection and its prepared statements, shared by the SQLite
// connectors (capture, apply). Every SQLite error becomes a Status that names the database;
// nothing here knows what the connection is used for. The only place evlog holds SQLite's
// handle types; everything else calls through these.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "codec/change_event.h"
#include "eventlog/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace evlog {

class SqliteStatement {
 public:
  SqliteStatement() = default;
  SqliteStatement(sqlite3_stmt* stmt, std::string db_path);

  // Binding starts at 1, as in SQLite. BindText copies the text; BindValue does not: the
  // value's bytes must stay alive until the statement is reset. BindValue keeps the value's
  // own storage class and every byte (TEXT with NULs or invalid UTF-8, REAL's exact bits).
  eventlog::Status BindInt64(int index, int64_t value);
  eventlog::Status BindText(int index, std::string_view value);
  eventlog::Status BindValue(int index, const SqlValue& value);
  // Steps once: true with a row to read, false when done. Resets on error.
  eventlog::Result<bool> Step();
  // Steps to the end, then resets and clears the bindings whether it succeeded or not: for
  // statements without rows.
  eventlog::Status Run();
  // Ends the statement's implicit read transaction and clears the bindings.
  void Reset();

  bool IsNull(int column) const;
  int64_t Int64(int column) const;
  double Double(int column) const;
  std::string_view Text(int column) const;  // valid until the next Step or Reset
  SqlValue Value(int column) const;         // the column's own storage class

 private:
  struct Finalize {
    void operator()(sqlite3_stmt* stmt) const;
  };
  eventlog::Status BindError(int index) const;

  std::unique_ptr<sqlite3_stmt, Finalize> stmt_;
  std::string db_path_;
};

class SqliteDb {
 public:
  // Opens an existing database read-write and never creates one: SQLite would turn a typo
  // into an empty database. A missing file is kNotFound, "PATH: no such database (...)"
  // followed by "; `if_missing`" when given (what to do about it).
  static eventlog::Result<SqliteDb> Open(const std::string& path, std::string_view if_missing = {});
  // Opens the database read-write, creating an empty one if the file is missing.
  static eventlog::Result<SqliteDb> OpenOrCreate(const std::string& path);

  // Lock waits: SQLite retries a busy database every few milliseconds, for as long as
  // `keep_waiting` says yes (giving up fails the statement with SQLITE_BUSY); a wait longer
  // than about a second is reported once through `on_long_wait`, so that a connector blocked
  // by another connection's long transaction never waits silently.
  void SetBusyWait(std::function<bool()> keep_waiting, std::function<void()> on_long_wait);

  // Runs SQL without results (one or more statements).
  eventlog::Status Exec(const std::string& sql);
  eventlog::Result<SqliteStatement> Prepare(std::string_view sql);
  // The connection's last error as a Status: "DB: WHAT: sqlite message".
  eventlog::Status Error(std::string_view what) const;
  // True between BEGIN and its COMMIT or ROLLBACK.
  bool InTransaction() const;
  // Rows the last INSERT, UPDATE or DELETE changed.
  int64_t Changes() const;

  const std::string& path() const { return path_; }

 private:
  struct Close {
    void operator()(sqlite3* db) const;
  };
  struct BusyWait {
    std::function<bool()> keep_waiting;
    std::function<void()> on_long_wait;
    std::chrono::steady_clock::time_point started;
    bool reported = false;
  };
  static eventlog::Result<SqliteDb> OpenWithFlags(const std::string& path, int flags);
  static int OnBusy(void* wait, int count);

  std::unique_ptr<sqlite3, Close> db_;
  std::string path_;
  std::unique_ptr<BusyWait> busy_;
};

}  // namespace evlog
