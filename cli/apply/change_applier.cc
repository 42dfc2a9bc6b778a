#include "apply/change_applier.h"

#include <algorithm>

#include <fmt/format.h>

namespace evlog {
namespace {

using eventlog::Result;
using eventlog::Status;

// The name capture gives the rowid of a table without a declared primary key (§C2).
constexpr char kRowid[] = "rowid";

// SQLite compares identifiers without regard to ASCII case: so does the column check.
std::string FoldCase(std::string_view name) {
  std::string folded(name);
  for (char& c : folded) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  return folded;
}

bool IsRowidKey(const SqlRow& key) { return key.size() == 1 && key[0].first == kRowid; }

// The bytes stay owned by the row until the statement is reset.
Status BindRow(SqliteStatement& statement, const SqlRow& row) {
  for (size_t i = 0; i < row.size(); ++i) {
    EVLOG_RETURN_IF_ERROR(statement.BindValue(static_cast<int>(i + 1), row[i].second).WithContext("column " + row[i].first));
  }
  return Status::Ok();
}

const SqlValue* Find(const SqlRow& row, std::string_view name) {
  auto it = std::find_if(row.begin(), row.end(), [&](const auto& column) { return column.first == name; });
  return it == row.end() ? nullptr : &it->second;
}

// The values of `key`'s columns in `row` (`what` names the row for the error).
Result<SqlRow> KeyOf(const SqlRow& row, const SqlRow& key, std::string_view what) {
  SqlRow values;
  for (const auto& [name, ignored] : key) {
    const SqlValue* value = Find(row, name);
    if (value == nullptr) return Status::InvalidArgument(fmt::format("\"{}\" lacks key column {}", what, name));
    values.emplace_back(name, *value);
  }
  return values;
}

std::string Names(const SqlRow& row) {
  std::string out;
  for (const auto& [name, ignored] : row) out += (out.empty() ? "" : ", ") + QuoteIdentifier(name);
  return out;
}

std::string UpsertSql(const std::string& table, const SqlRow& key, const SqlRow& row) {
  std::string placeholders, updates;
  for (size_t i = 0; i < row.size(); ++i) {
    placeholders += fmt::format("{}?{}", i ? ", " : "", i + 1);
    if (Find(key, row[i].first) != nullptr) continue;
    const std::string column = QuoteIdentifier(row[i].first);
    updates += fmt::format("{}{} = excluded.{}", updates.empty() ? "" : ", ", column, column);
  }
  return fmt::format("INSERT INTO {} ({}) VALUES ({}) ON CONFLICT ({}) DO {}", QuoteIdentifier(table), Names(row),
                     placeholders, Names(key), updates.empty() ? "NOTHING" : "UPDATE SET " + updates);
}

// IS rather than =, so that a NULL in a key column (which SQLite allows outside an
// INTEGER PRIMARY KEY) still finds its row.
std::string DeleteSql(const std::string& table, const SqlRow& key) {
  std::string where;
  for (size_t i = 0; i < key.size(); ++i) {
    where += fmt::format("{}{} IS ?{}", i ? " AND " : "", QuoteIdentifier(key[i].first), i + 1);
  }
  return fmt::format("DELETE FROM {} WHERE {}", QuoteIdentifier(table), where);
}

}  // namespace

Status ChangeApplier::Apply(const ChangeEvent& change) {
  EVLOG_RETURN_IF_ERROR(CheckColumns(change));
  switch (change.op) {
    case 'c':
    case 'r': return Upsert(change.table, change.key, *change.after);
    case 'd': return Delete(change.table, change.key);
    default: break;
  }
  EVLOG_ASSIGN_OR_RETURN(SqlRow old_key, KeyOf(*change.before, change.key, "before"));
  EVLOG_ASSIGN_OR_RETURN(SqlRow new_key, KeyOf(*change.after, change.key, "after"));
  if (old_key != new_key) EVLOG_RETURN_IF_ERROR(Delete(change.table, old_key));
  return Upsert(change.table, new_key, *change.after);
}

Status ChangeApplier::CheckColumns(const ChangeEvent& change) {
  EVLOG_ASSIGN_OR_RETURN(const std::unordered_set<std::string>* columns, Columns(change.table));
  if (columns->empty() && create_tables_) {
    EVLOG_RETURN_IF_ERROR(CreateTable(change));
    columns_.erase(change.table);
    EVLOG_ASSIGN_OR_RETURN(columns, Columns(change.table));
  }
  if (columns->empty()) {
    return Status::InvalidArgument(
        fmt::format("table {} does not exist in the target (create it, or run with --create-tables)", change.table));
  }
  for (const auto* row : {&change.key, change.before ? &*change.before : nullptr, change.after ? &*change.after : nullptr}) {
    if (row == nullptr) continue;
    for (const auto& [name, ignored] : *row) {
      if (name != kRowid && !columns->contains(FoldCase(name))) {
        return Status::InvalidArgument(fmt::format("table {} has no column {}", change.table, name));
      }
    }
  }
  return Status::Ok();
}

Result<const std::unordered_set<std::string>*> ChangeApplier::Columns(const std::string& table) {
  auto known = columns_.find(table);
  if (known != columns_.end()) return &known->second;
  EVLOG_ASSIGN_OR_RETURN(SqliteStatement * list, Statement("SELECT name FROM main.pragma_table_xinfo(?1)"));
  EVLOG_RETURN_IF_ERROR(list->BindText(1, table));
  std::unordered_set<std::string> names;
  Result<bool> row = list->Step();
  for (; row && *row; row = list->Step()) names.emplace(FoldCase(list->Text(0)));
  list->Reset();
  if (!row) return row.error().WithContext("cannot list the columns of table " + table);
  return &columns_.emplace(table, std::move(names)).first->second;
}

// Columns as the change names them (after's, then any only before has), in that order.
// They get no declared type: a column without one has no affinity, so SQLite stores every
// later value in its own storage class too (a declared INTEGER would turn 3.0 into 3, a
// declared TEXT would turn 5 into '5'), which keeps the copy exact whatever comes later.
Status ChangeApplier::CreateTable(const ChangeEvent& change) {
  const bool rowid = IsRowidKey(change.key);
  std::vector<std::string> names;
  for (const auto* row : {change.after ? &*change.after : nullptr, change.before ? &*change.before : nullptr}) {
    if (row == nullptr) continue;
    for (const auto& [name, ignored] : *row) {
      if ((rowid && name == kRowid) || std::find(names.begin(), names.end(), name) != names.end()) continue;
      names.push_back(name);
    }
  }
  if (names.empty()) return Status::InvalidArgument(fmt::format("cannot create table {}: no columns", change.table));
  std::string sql = "CREATE TABLE " + QuoteIdentifier(change.table) + " (";
  for (const std::string& name : names) sql += QuoteIdentifier(name) + ", ";
  if (rowid) {
    sql.resize(sql.size() - 2);  // a rowid table declares no primary key
  } else {
    sql += "PRIMARY KEY (" + Names(change.key) + ")";
  }
  sql += ")";
  return db_.Exec(sql).WithContext("cannot create table " + change.table);
}

Result<SqliteStatement*> ChangeApplier::Statement(const std::string& sql) {
  auto cached = statements_.find(sql);
  if (cached != statements_.end()) return &cached->second;
  EVLOG_ASSIGN_OR_RETURN(SqliteStatement statement, db_.Prepare(sql));
  return &statements_.emplace(sql, std::move(statement)).first->second;
}

Status ChangeApplier::Upsert(const std::string& table, const SqlRow& key, const SqlRow& row) {
  EVLOG_RETURN_IF_ERROR(KeyOf(row, key, "after").status());
  EVLOG_ASSIGN_OR_RETURN(SqliteStatement * upsert, Statement(UpsertSql(table, key, row)));
  EVLOG_RETURN_IF_ERROR(BindRow(*upsert, row));
  return upsert->Run();
}

Status ChangeApplier::Delete(const std::string& table, const SqlRow& key) {
  EVLOG_ASSIGN_OR_RETURN(SqliteStatement * remove, Statement(DeleteSql(table, key)));
  EVLOG_RETURN_IF_ERROR(BindRow(*remove, key));
  return remove->Run();
}

}  // namespace evlog
