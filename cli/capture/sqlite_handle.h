// Owning handles for a SQLite connection and its prepared statements, with every SQLite error
// turned into a Status that names the database. The only place capture includes <sqlite3.h>'s
// handle types by value; everything else calls through these.
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

  // Binding starts at 1, as in SQLite. Text and blobs are copied.
  eventlog::Status BindInt64(int index, int64_t value);
  eventlog::Status BindText(int index, std::string_view value);
  // Steps once: true with a row to read, false when done. Resets on error.
  eventlog::Result<bool> Step();
  // Steps to the end and resets, for statements without rows.
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
  std::unique_ptr<sqlite3_stmt, Finalize> stmt_;
  std::string db_path_;
};

class SqliteDb {
 public:
  // Opens an existing database read-write; never creates one (kNotFound names the path).
  static eventlog::Result<SqliteDb> Open(const std::string& path);

  // Lock waits: SQLite retries a busy database every few milliseconds, for as long as
  // `keep_waiting` says yes; a wait longer than about a second is reported once through
  // `on_long_wait`, so that a relay blocked by a long writer never waits silently.
  void SetBusyWait(std::function<bool()> keep_waiting, std::function<void()> on_long_wait);

  eventlog::Status Exec(const std::string& sql);
  eventlog::Result<SqliteStatement> Prepare(std::string_view sql);
  // The connection's last error as a Status: "DB: WHAT: sqlite message".
  eventlog::Status Error(std::string_view what) const;

  const std::string& path() const { return path_; }
  sqlite3* get() const { return db_.get(); }

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
  static int OnBusy(void* wait, int count);

  std::unique_ptr<sqlite3, Close> db_;
  std::string path_;
  std::unique_ptr<BusyWait> busy_;
};

// SQL text for an identifier ("name", quotes doubled) and a string literal ('text').
std::string QuoteIdentifier(std::string_view name);
std::string QuoteLiteral(std::string_view text);

}  // namespace evlog
