// The relay's side of the source database (format-spec/change-events.md §C2, §C5): reads
// outbox rows in short read transactions, turns them into change events, and deletes them
// once they are durable in the log, recording how far the relay got in `_evlog_meta`.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sqlite/sqlite_handle.h"
#include "capture/table_schema.h"
#include "codec/change_event.h"
#include "eventlog/status.h"

namespace evlog {

struct OutboxRow {
  int64_t id = 0;
  std::string table;
  char op = 'c';
  int64_t at_ms = 0;
  std::optional<std::string> before;  // value lists (§C1.2)
  std::optional<std::string> after;
};

// §C5.1: what one read may return.
inline constexpr size_t kRelayBatchRows = 10000;
inline constexpr size_t kRelayBatchBytes = 4 << 20;

class Outbox {
 public:
  // Prepares the relay's statements on `db` and reads source_id and the captured tables.
  // kNotFound when capture is not installed.
  static eventlog::Result<std::unique_ptr<Outbox>> Open(SqliteDb& db);

  const std::string& source_id() const { return source_id_; }
  SqliteDb& db() { return db_; }
  const std::map<std::string, TableSchema>& tables() const { return tables_; }

  // A `_evlog_meta` value as text, if set.
  eventlog::Result<std::optional<std::string>> Meta(const std::string& key);
  // The largest id the outbox has ever assigned (0 if none).
  eventlog::Result<int64_t> LastAssignedId();

  // Reads rows with after_id < id <= up_to in id order, at most kRelayBatchRows rows and
  // about kRelayBatchBytes bytes, in one statement (one short read transaction).
  eventlog::Status ReadRows(int64_t after_id, int64_t up_to, std::vector<OutboxRow>* rows);
  // The change an outbox row records; kCorruption naming the outbox id if it does not parse.
  eventlog::Result<ChangeEvent> ToChange(const OutboxRow& row);

  // §C5.2: deletes rows up to `up_to` and records the log's id and next offset, in one
  // write transaction.
  eventlog::Status MarkRelayed(int64_t up_to, const std::string& log_id, uint64_t next_offset);

  // Changes whenever another connection commits (PRAGMA data_version).
  eventlog::Result<int64_t> DataVersion();
  // §C2 "Schema changes": when the schema cookie moved, re-reads the captured tables and
  // refuses (kInvalidArgument, saying how to fix it) if a captured table's columns differ
  // from what its triggers record.
  eventlog::Status CheckSchema();

  // SQLite's own text-to-real conversion (§C1.2).
  eventlog::Result<double> ParseReal(std::string_view literal);

 private:
  explicit Outbox(SqliteDb& db) : db_(db) {}
  eventlog::Result<bool> HasTriggers(const std::string& table);
  eventlog::Result<SqlRow> ParseRow(const OutboxRow& row, const TableSchema& schema, const std::string& list);

  SqliteDb& db_;
  std::string source_id_;
  std::map<std::string, TableSchema> tables_;
  int64_t schema_version_ = -1;
  SqliteStatement read_rows_, delete_rows_, set_meta_, get_meta_, cast_real_, data_version_, schema_version_stmt_;
};

}  // namespace evlog
