// Turns one change event into row changes of a SQLite target (format-spec/change-events.md
// §C6), inside the transaction the caller holds: `c` and `r` upsert by key, `u` upserts
// `after` (deleting the old row first when the key changed), `d` deletes by key, `t`
// deletes every row. Values are bound with their own storage class and bytes, so the
// target holds exactly what the source held wherever its columns' affinity allows.
// Changes from PostgreSQL (§C7) are applied too, as §C6.1 says.
#pragma once

#include <string>
#include <unordered_map>
#include <unordered_set>

#include "codec/change_event.h"
#include "eventlog/status.h"
#include "sqlite/sqlite_handle.h"

namespace evlog {

class SqliteChangeApplier {
 public:
  // With `create_tables`, a table missing from the target is created from the first change
  // that names it; without, a missing table is an error.
  SqliteChangeApplier(SqliteDb& db, bool create_tables) : db_(db), create_tables_(create_tables) {}

  // Applies `change`. Errors say what is missing or what the target refused; the caller
  // adds the event's offset and rolls the transaction back.
  eventlog::Status Apply(const ChangeEvent& change);

  // Forgets what it learnt of the tables' columns. Call when a transaction starts: the
  // schema may have changed since (a migration, a rolled-back run that created a table).
  void ForgetSchema() { columns_.clear(); }

 private:
  eventlog::Result<std::string> TargetTable(const ChangeEvent& change);
  eventlog::Status CheckColumns(const std::string& table, const ChangeEvent& change);
  eventlog::Result<const std::unordered_set<std::string>*> Columns(const std::string& table);
  eventlog::Status CreateTable(const std::string& table, const ChangeEvent& change);
  eventlog::Result<SqliteStatement*> Statement(const std::string& sql);
  eventlog::Status ApplyUpdate(const std::string& table, const ChangeEvent& change);
  eventlog::Status Insert(const std::string& table, const SqlRow& row);
  eventlog::Status Upsert(const std::string& table, const SqlRow& key, const SqlRow& row);
  eventlog::Status UpdateInPlace(const std::string& table, const SqlRow& old_key, const SqlRow& row);
  eventlog::Status Delete(const std::string& table, const SqlRow& key);

  SqliteDb& db_;
  bool create_tables_;
  // Per table, its column names in lower case; an empty set for a table that does not exist.
  std::unordered_map<std::string, std::unordered_set<std::string>> columns_;
  // Statements by their SQL: one per table and shape of change, prepared once.
  std::unordered_map<std::string, SqliteStatement> statements_;
};

}  // namespace evlog
