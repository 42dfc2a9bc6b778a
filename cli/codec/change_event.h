// Change events (format-spec/change-events.md): one row change of a database as an evlog
// event, shared by `capture` (which builds them) and `apply` (which reads them). Nothing
// here knows SQLite's API: values are plain C++ values, so that PostgreSQL capture can
// produce the same events later.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "eventlog/event.h"
#include "eventlog/status.h"

namespace evlog {

// One SQLite value (§C1): NULL, INTEGER, REAL, TEXT or BLOB; and, from PostgreSQL (§C7.2),
// the mark of a TOASTed column that an UPDATE left unchanged and the server did not send:
// not a value at all, but "keep what the row holds".
struct SqlValue {
  enum class Type { kNull, kInteger, kReal, kText, kBlob, kUnchangedToast };
  Type type = Type::kNull;
  int64_t integer = 0;
  double real = 0;
  std::string bytes;  // TEXT (any bytes, normally UTF-8) or BLOB

  static SqlValue Null() { return {}; }
  static SqlValue Integer(int64_t v) { return {Type::kInteger, v, 0, {}}; }
  static SqlValue Real(double v) { return {Type::kReal, 0, v, {}}; }
  static SqlValue Text(std::string v) { return {Type::kText, 0, 0, std::move(v)}; }
  static SqlValue Blob(std::string v) { return {Type::kBlob, 0, 0, std::move(v)}; }
  static SqlValue UnchangedToast() { return {Type::kUnchangedToast, 0, 0, {}}; }

  // Same storage class and the same bits or bytes (a REAL compares by its bits, so
  // -0.0 != 0.0 here, as they are for a lossless copy).
  bool operator==(const SqlValue& other) const;
};

// A row: column names and values, in capture order.
using SqlRow = std::vector<std::pair<std::string, SqlValue>>;

struct ChangeEvent {
  char op = 'c';  // 'c' insert, 'u' update, 'd' delete, 'r' snapshot read, 't' TRUNCATE (§C7.1)
  std::string table;
  // Primary-key columns (or {"rowid", N}; PostgreSQL: the replica identity's), in key
  // order; empty for 't' and for a PostgreSQL table without a replica identity.
  SqlRow key;
  // 'u', 'd' (PostgreSQL: absent on a 'u' that kept the key, §C7.1).
  std::optional<SqlRow> before;
  std::optional<SqlRow> after;  // 'c', 'u', 'r'
  int64_t ts_ms = 0;
  std::string connector = "sqlite";   // source.connector: "sqlite" or "postgres"
  std::string source_id;              // names the source database
  std::optional<int64_t> outbox_id;   // absent for 'r'
  // Only on the delete half of a key change (§C4): the event key of the row's new key.
  std::optional<std::string> new_key;
};

// The value of column `name` in `row`, or nullptr.
const SqlValue* FindColumn(const SqlRow& row, std::string_view name);

// The values in `row` of `key`'s columns, in key order; kInvalidArgument if `row` lacks
// one (`what` names the row for the message: "before", "after").
eventlog::Result<SqlRow> KeyValues(const SqlRow& row, const SqlRow& key, std::string_view what);

// An update's old key: from "before" when the change carries it, else from "after"
// (PostgreSQL sends no old row when the key stayed, §C7.1).
eventlog::Result<SqlRow> OldKey(const ChangeEvent& change);

// Whether `row` has columns an update left unchanged (§C7.2), and `row` without them.
bool HasUnchangedToast(const SqlRow& row);
SqlRow WithoutUnchangedToast(const SqlRow& row);

// §C1.1: one value as JSON text, appended to *out.
void AppendJsonValue(std::string* out, const SqlValue& value);

// §C3: the envelope (the event's payload), one line of JSON without a newline.
std::string EncodeChangeEnvelope(const ChangeEvent& change);

// §C4: the event's key, `[table, key values...]`.
std::string EncodeChangeKey(const ChangeEvent& change);

// §C4: an update that changes the row's key is written as two events, a delete of the old
// key (marked with the new one) and then the update. This is that delete, for an update
// whose "before" holds a key other than its own; nullopt for any other change.
std::optional<ChangeEvent> OldKeyDelete(const ChangeEvent& update);

// §C4: the event's headers, views into `change` and `storage` (which must outlive them).
std::vector<eventlog::HeaderView> ChangeHeaders(const ChangeEvent& change, std::string* storage);

// The inverse of EncodeChangeEnvelope, for both sources' envelopes (§C3, §C7.1):
// kInvalidArgument, saying what is wrong, for a payload that is not one (the caller adds
// the event's offset). Unknown members are ignored. PostgreSQL's forms map to values
// (§C7.2): true and false to INTEGER 1 and 0 (SQLite's booleans; PostgreSQL's bool reads
// them back), {"$real":"NaN"} to a REAL NaN, {"$unchanged_toast":true} to kUnchangedToast.
eventlog::Result<ChangeEvent> DecodeChangeEnvelope(std::string_view payload);

}  // namespace evlog
