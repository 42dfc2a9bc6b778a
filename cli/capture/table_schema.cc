#include "capture/table_schema.h"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace evlog {

using eventlog::Result;
using eventlog::Status;

namespace {

Status Refuse(const SqliteDb& db, const std::string& table, std::string_view why) {
  return Status::InvalidArgument(fmt::format("{}: cannot capture table {}: {}", db.path(), table, why));
}

// The table's kind from pragma_table_list: refuses everything but an ordinary rowid table.
Result<std::string> CheckTableKind(SqliteDb& db, const std::string& table) {
  EVLOG_ASSIGN_OR_RETURN(SqliteStatement list,
                         db.Prepare("SELECT name, type, wr FROM pragma_table_list "
                                    "WHERE schema = 'main' AND name = ?1 COLLATE NOCASE"));
  EVLOG_RETURN_IF_ERROR(list.BindText(1, table));
  EVLOG_ASSIGN_OR_RETURN(bool found, list.Step());
  if (!found) return Refuse(db, table, "no such table");
  const std::string name(list.Text(0));
  const std::string type(list.Text(1));
  const bool without_rowid = list.Int64(2) != 0;
  if (name.starts_with("_evlog_") || name.starts_with("sqlite_")) return Refuse(db, name, "it is an internal table");
  if (type == "virtual") return Refuse(db, name, "it is a virtual table (no triggers can be created on it)");
  if (type != "table") return Refuse(db, name, fmt::format("it is a {}, not a table", type));
  if (without_rowid) return Refuse(db, name, "it is a WITHOUT ROWID table (capture needs a rowid table)");
  return name;
}

}  // namespace

Result<TableSchema> ReadTableSchema(SqliteDb& db, const std::string& table) {
  TableSchema schema;
  EVLOG_ASSIGN_OR_RETURN(schema.table, CheckTableKind(db, table));
  EVLOG_ASSIGN_OR_RETURN(SqliteStatement info,
                         db.Prepare("SELECT name, pk, hidden FROM pragma_table_xinfo(?1, 'main') ORDER BY cid"));
  EVLOG_RETURN_IF_ERROR(info.BindText(1, schema.table));
  std::vector<std::pair<int64_t, std::string>> pk;
  for (;;) {
    EVLOG_ASSIGN_OR_RETURN(bool row, info.Step());
    if (!row) break;
    if (info.Int64(2) != 0) continue;  // a generated column: not stored, so not captured
    std::string name(info.Text(0));
    if (info.Int64(1) > 0) pk.emplace_back(info.Int64(1), name);
    schema.columns.push_back(std::move(name));
  }
  std::sort(pk.begin(), pk.end());
  for (auto& [position, name] : pk) schema.pk.push_back(std::move(name));
  if (schema.pk.empty()) {
    for (const std::string& column : schema.columns) {
      std::string lower = column;
      std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
      if (lower == "rowid" || lower == "_rowid_" || lower == "oid") {
        return Refuse(db, schema.table,
                      fmt::format("it has no primary key and a column named {}, so its rows have no key "
                                  "capture can name; declare a primary key",
                                  column));
      }
    }
    schema.rowid_key = true;
    schema.pk = {"rowid"};
    schema.columns.insert(schema.columns.begin(), "rowid");
  }
  return schema;
}

Result<bool> CaptureInstalled(SqliteDb& db) {
  EVLOG_ASSIGN_OR_RETURN(SqliteStatement exists,
                         db.Prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = '_evlog_capture'"));
  return exists.Step();
}

Result<std::map<std::string, TableSchema>> ReadCapturedTables(SqliteDb& db) {
  EVLOG_ASSIGN_OR_RETURN(bool installed, CaptureInstalled(db));
  if (!installed) {
    return Status::NotFound(fmt::format("{}: capture is not installed; run: evlog capture sqlite {} --install -t TABLE",
                                        db.path(), db.path()));
  }
  EVLOG_ASSIGN_OR_RETURN(SqliteStatement rows, db.Prepare("SELECT tbl, columns, pk FROM _evlog_capture"));
  std::map<std::string, TableSchema> tables;
  for (;;) {
    EVLOG_ASSIGN_OR_RETURN(bool row, rows.Step());
    if (!row) break;
    TableSchema schema{.table = std::string(rows.Text(0))};
    auto columns = ParseNamesJson(std::string(rows.Text(1)));
    auto pk = ParseNamesJson(std::string(rows.Text(2)));
    if (!columns || !pk) {
      return Status::Corruption(fmt::format("{}: _evlog_capture row of table {}: columns or pk is not a JSON array "
                                            "of names",
                                            db.path(), schema.table));
    }
    schema.columns = std::move(*columns);
    schema.pk = std::move(*pk);
    schema.rowid_key = schema.pk == std::vector<std::string>{"rowid"};
    tables.emplace(schema.table, std::move(schema));
  }
  return tables;
}

std::string NamesJson(const std::vector<std::string>& names) {
  return nlohmann::json(names).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<std::vector<std::string>> ParseNamesJson(const std::string& json) {
  nlohmann::json parsed = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_array()) return Status::InvalidArgument("not a JSON array");
  std::vector<std::string> names;
  for (const auto& name : parsed) {
    if (!name.is_string()) return Status::InvalidArgument("not a JSON array of strings");
    names.push_back(name.get<std::string>());
  }
  return names;
}

}  // namespace evlog
