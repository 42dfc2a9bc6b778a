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

// One SQLite value (§C1): NULL, INTEGER, REAL, TEXT or BLOB.
struct SqlValue {
  enum class Type { kNull, kInteger, kReal, kText, kBlob };
  Type type = Type::kNull;
  int64_t integer = 0;
  double real = 0;
  std::string bytes;  // TEXT (any bytes, normally UTF-8) or BLOB

  static SqlValue Null() { return {}; }
  static SqlValue Integer(int64_t v) { return {Type::kInteger, v, 0, {}}; }
  static SqlValue Real(double v) { return {Type::kReal, 0, v, {}}; }
  static SqlValue Text(std::string v) { return {Type::kText, 0, 0, std::move(v)}; }
  static SqlValue Blob(std::string v) { return {Type::kBlob, 0, 0, std::move(v)}; }

  // Same storage class and the same bits or bytes (a REAL compares by its bits, so
  // -0.0 != 0.0 here, as they are for a lossless copy).
  bool operator==(const SqlValue& other) const;
};

// A row: column names and values, in capture order.
using SqlRow = std::vector<std::pair<std::string, SqlValue>>;

struct ChangeEvent {
  char op = 'c';  // 'c' insert, 'u' update, 'd' delete, 'r' snapshot read
  std::string table;
  SqlRow key;                    // primary-key columns (or {"rowid", N}), in key order
  std::optional<SqlRow> before;  // 'u', 'd'
  std::optional<SqlRow> after;   // 'c', 'u', 'r'
  int64_t ts_ms = 0;
  std::string source_id;              // 32 hex digits, names the source database
  std::optional<int64_t> outbox_id;   // absent for 'r'
};

// §C1.1: one value as JSON text, appended to *out.
void AppendJsonValue(std::string* out, const SqlValue& value);

// §C3: the envelope (the event's payload), one line of JSON without a newline.
std::string EncodeChangeEnvelope(const ChangeEvent& change);

// §C4: the event's key, `[table, key values...]`.
std::string EncodeChangeKey(const ChangeEvent& change);

// §C4: the event's headers, views into `change` and `storage` (which must outlive them).
std::vector<eventlog::HeaderView> ChangeHeaders(const ChangeEvent& change, std::string* storage);

// The inverse of EncodeChangeEnvelope: kInvalidArgument, saying what is wrong, for a payload
// that is not an envelope of §C3 (the caller adds the event's offset). Unknown members are
// ignored.
eventlog::Result<ChangeEvent> DecodeChangeEnvelope(std::string_view payload);

}  // namespace evlog
