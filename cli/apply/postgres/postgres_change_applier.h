// Turns one change event into row changes of a PostgreSQL target (format-spec/
// change-events.md §C6.2), inside the transaction the caller holds. Values travel as text
// parameters in each column type's input syntax, which is what §C7.2 maps from, so a
// PostgreSQL-to-PostgreSQL copy is exact; values from SQLite are read by the target
// column's type (an INTEGER into a numeric column, a BLOB into bytea).
#pragma once

#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "apply/postgres/target_connection.h"
#include "codec/change_event.h"
#include "eventlog/status.h"

namespace evlog::pg {

// One value as a text parameter; nullopt for SQL NULL.
TextParam ValueAsText(const SqlValue& value);

class PostgresChangeApplier {
 public:
  explicit PostgresChangeApplier(TargetConnection& connection) : connection_(connection) {}

  eventlog::Status Apply(const ChangeEvent& change);

  // Forgets what it learnt of the tables. Call when a transaction starts: the schema may
  // have changed since.
  void ForgetSchema() { tables_.clear(); }

 private:
  struct Table {
    std::string sql_name;  // schema-qualified and quoted
    // The column sets of its unique indexes usable as ON CONFLICT targets.
    std::vector<std::set<std::string>> unique_keys;
  };

  eventlog::Result<const Table*> Resolve(const std::string& name);
  bool HasUniqueKey(const Table& table, const SqlRow& key) const;
  eventlog::Result<int64_t> Run(const std::string& sql, const std::vector<TextParam>& params);
  eventlog::Status Upsert(const Table& table, const SqlRow& key, const SqlRow& row);
  eventlog::Result<int64_t> Update(const Table& table, const SqlRow& row, const SqlRow& key);
  eventlog::Status ApplyUpdate(const Table& table, const ChangeEvent& change);

  TargetConnection& connection_;
  std::unordered_map<std::string, Table> tables_;  // by the events' table name
};

}  // namespace evlog::pg
