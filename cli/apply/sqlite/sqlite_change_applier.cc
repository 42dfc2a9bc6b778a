#include "apply/sqlite/sqlite_change_applier.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include <fmt/format.h>

#include "codec/sql_quote.h"

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

std::string Names(const SqlRow& row) {
  std::string out;
  for (const auto& [name, ignored] : row) out += (out.empty() ? "" : ", ") + QuoteIdentifier(name);
  return out;
}

std::string Placeholders(size_t count, size_t first) {
  std::string out;
  for (size_t i = 0; i < count; ++i) out += fmt::format("{}?{}", i ? ", " : "", first + i);
  return out;
}

// IS rather than =, so that a NULL in a key column (which SQLite allows outside an
// INTEGER PRIMARY KEY) still finds its row. Parameters from ?first on.
std::string KeyCondition(const SqlRow& key, size_t first) {
  std::string where;
  for (size_t i = 0; i < key.size(); ++i) {
    where += fmt::format("{}{} IS ?{}", i ? " AND " : "", QuoteIdentifier(key[i].first), first + i);
  }
  return where;
}

std::string UpsertSql(const std::string& table, const SqlRow& key, const SqlRow& row) {
  const std::string placeholders = Placeholders(row.size(), 1);
  std::string updates;
  for (size_t i = 0; i < row.size(); ++i) {
    if (FindColumn(key, row[i].first) != nullptr) continue;
    const std::string column = QuoteIdentifier(row[i].first);
    updates += fmt::format("{}{} = excluded.{}", updates.empty() ? "" : ", ", column, column);
  }
  return fmt::format("INSERT INTO {} ({}) VALUES ({}) ON CONFLICT ({}) DO {}", QuoteIdentifier(table), Names(row),
                     placeholders, Names(key), updates.empty() ? "NOTHING" : "UPDATE SET " + updates);
}

std::string DeleteSql(const std::string& table, const SqlRow& key) {
  return fmt::format("DELETE FROM {} WHERE {}", QuoteIdentifier(table), KeyCondition(key, 1));
}

std::string UpdateSql(const std::string& table, const SqlRow& row, const SqlRow& key) {
  std::string sets;
  for (size_t i = 0; i < row.size(); ++i) {
    sets += fmt::format("{}{} = ?{}", i ? ", " : "", QuoteIdentifier(row[i].first), i + 1);
  }
  return fmt::format("UPDATE {} SET {} WHERE {}", QuoteIdentifier(table), sets, KeyCondition(key, row.size() + 1));
}

// §C6.1: the rows a change carries must hold values SQLite can store as they are.
Status CheckStorable(const ChangeEvent& change) {
  for (const auto* row : {&change.key, change.before ? &*change.before : nullptr, change.after ? &*change.after : nullptr}) {
    if (row == nullptr) continue;
    for (const auto& [name, value] : *row) {
      if (value.type == SqlValue::Type::kReal && std::isnan(value.real)) {
        return Status::InvalidArgument(
            fmt::format("column {} is NaN, which SQLite cannot store (it would become NULL)", name));
      }
      if (value.type == SqlValue::Type::kUnchangedToast && (change.op != 'u' || row != &*change.after)) {
        return Status::InvalidArgument(
            fmt::format("column {} is marked as an unchanged TOASTed value outside an update's \"after\"", name));
      }
    }
  }
  return Status::Ok();
}

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

bool StartsWithIgnoringCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && EqualsIgnoringCase(text.substr(0, prefix.size()), prefix);
}

}  // namespace

Status SqliteChangeApplier::Apply(const ChangeEvent& change) {
  EVLOG_ASSIGN_OR_RETURN(std::string table, TargetTable(change));
  // evlog's position table and SQLite's own (sqlite_sequence, ...) are never written from
  // events: a change to them (captured from a database that is itself an apply target)
  // would move another group's position or corrupt the schema.
  const bool position_table = EqualsIgnoringCase(table, "_evlog_apply");
  if (position_table || StartsWithIgnoringCase(table, "sqlite_")) {
    return Status::InvalidArgument(fmt::format("table {} is {}: changes to it are not applied", change.table,
                                               position_table ? "evlog's own position table"
                                                              : "one of SQLite's own tables"));
  }
  EVLOG_RETURN_IF_ERROR(CheckColumns(table, change));
  EVLOG_RETURN_IF_ERROR(CheckStorable(change));
  if (change.key.empty() && (change.op == 'u' || change.op == 'd')) {
    return Status::InvalidArgument(fmt::format(
        "op \"{}\" on table {} has an empty key (its source table has no replica identity): no row to find", change.op,
        change.table));
  }
  switch (change.op) {
    case 't': {
      EVLOG_ASSIGN_OR_RETURN(SqliteStatement * truncate, Statement("DELETE FROM " + QuoteIdentifier(table)));
      return truncate->Run();
    }
    case 'c':
    case 'r': return change.key.empty() ? Insert(table, *change.after) : Upsert(table, change.key, *change.after);
    case 'd': return Delete(table, change.key);
    default: return ApplyUpdate(table, change);
  }
}

Status SqliteChangeApplier::ApplyUpdate(const std::string& table, const ChangeEvent& change) {
  EVLOG_ASSIGN_OR_RETURN(SqlRow new_key, KeyValues(*change.after, change.key, "after"));
  EVLOG_ASSIGN_OR_RETURN(SqlRow old_key, OldKey(change));
  if (HasUnchangedToast(*change.after)) return UpdateInPlace(table, old_key, WithoutUnchangedToast(*change.after));
  if (old_key != new_key) EVLOG_RETURN_IF_ERROR(Delete(table, old_key));
  return Upsert(table, new_key, *change.after);
}

// §C6.1: a PostgreSQL change names "schema.table", and SQLite has no schemas: the table of
// that exact name if the target has one, else the name without the schema.
Result<std::string> SqliteChangeApplier::TargetTable(const ChangeEvent& change) {
  const size_t dot = change.table.find('.');
  if (change.connector != "postgres" || dot == std::string::npos) return change.table;
  EVLOG_ASSIGN_OR_RETURN(const std::unordered_set<std::string>* columns, Columns(change.table));
  return columns->empty() ? change.table.substr(dot + 1) : change.table;
}

Status SqliteChangeApplier::CheckColumns(const std::string& table, const ChangeEvent& change) {
  EVLOG_ASSIGN_OR_RETURN(const std::unordered_set<std::string>* columns, Columns(table));
  if (columns->empty() && create_tables_ && change.op != 't') {
    EVLOG_RETURN_IF_ERROR(CreateTable(table, change));
    columns_.erase(table);
    EVLOG_ASSIGN_OR_RETURN(columns, Columns(table));
  }
  if (columns->empty()) {
    return Status::InvalidArgument(fmt::format("table {} does not exist in the target (create it{})", table,
                                               change.op == 't' ? "" : ", or run with --create-tables"));
  }
  for (const auto* row : {&change.key, change.before ? &*change.before : nullptr, change.after ? &*change.after : nullptr}) {
    if (row == nullptr) continue;
    for (const auto& [name, ignored] : *row) {
      if (name != kRowid && !columns->contains(FoldCase(name))) {
        return Status::InvalidArgument(fmt::format("table {} has no column {}", table, name));
      }
    }
  }
  return Status::Ok();
}

Result<const std::unordered_set<std::string>*> SqliteChangeApplier::Columns(const std::string& table) {
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
Status SqliteChangeApplier::CreateTable(const std::string& table, const ChangeEvent& change) {
  const bool rowid = IsRowidKey(change.key);
  std::vector<std::string> names;
  for (const auto* row : {change.after ? &*change.after : nullptr, change.before ? &*change.before : nullptr}) {
    if (row == nullptr) continue;
    for (const auto& [name, ignored] : *row) {
      if ((rowid && name == kRowid) || std::find(names.begin(), names.end(), name) != names.end()) continue;
      names.push_back(name);
    }
  }
  if (names.empty()) return Status::InvalidArgument(fmt::format("cannot create table {}: no columns", table));
  std::string sql = "CREATE TABLE " + QuoteIdentifier(table) + " (";
  for (const std::string& name : names) sql += QuoteIdentifier(name) + ", ";
  if (rowid || change.key.empty()) {
    sql.resize(sql.size() - 2);  // a rowid table, or one without a key, declares no primary key
  } else {
    sql += "PRIMARY KEY (" + Names(change.key) + ")";
  }
  sql += ")";
  return db_.Exec(sql).WithContext("cannot create table " + table);
}

Result<SqliteStatement*> SqliteChangeApplier::Statement(const std::string& sql) {
  auto cached = statements_.find(sql);
  if (cached != statements_.end()) return &cached->second;
  EVLOG_ASSIGN_OR_RETURN(SqliteStatement statement, db_.Prepare(sql));
  return &statements_.emplace(sql, std::move(statement)).first->second;
}

Status SqliteChangeApplier::Upsert(const std::string& table, const SqlRow& key, const SqlRow& row) {
  EVLOG_RETURN_IF_ERROR(KeyValues(row, key, "after").status());
  EVLOG_ASSIGN_OR_RETURN(SqliteStatement * upsert, Statement(UpsertSql(table, key, row)));
  EVLOG_RETURN_IF_ERROR(BindRow(*upsert, row));
  return upsert->Run();
}

Status SqliteChangeApplier::Insert(const std::string& table, const SqlRow& row) {
  EVLOG_ASSIGN_OR_RETURN(SqliteStatement * insert,
                         Statement(fmt::format("INSERT INTO {} ({}) VALUES ({})", QuoteIdentifier(table), Names(row),
                                               Placeholders(row.size(), 1))));
  EVLOG_RETURN_IF_ERROR(BindRow(*insert, row));
  return insert->Run();
}

// An update that left TOASTed columns unchanged carries no value for them: only an UPDATE
// of the row that is there keeps them, so that row must be there.
Status SqliteChangeApplier::UpdateInPlace(const std::string& table, const SqlRow& old_key, const SqlRow& row) {
  if (row.empty()) return Status::Ok();
  EVLOG_ASSIGN_OR_RETURN(SqliteStatement * update, Statement(UpdateSql(table, row, old_key)));
  SqlRow bound = row;
  bound.insert(bound.end(), old_key.begin(), old_key.end());
  EVLOG_RETURN_IF_ERROR(BindRow(*update, bound));
  EVLOG_RETURN_IF_ERROR(update->Run());
  if (db_.Changes() == 0) {
    return Status::InvalidArgument(fmt::format(
        "the update's row is not in table {}, and the columns the update left unchanged (TOASTed, not sent) "
        "cannot be filled in",
        table));
  }
  return Status::Ok();
}

Status SqliteChangeApplier::Delete(const std::string& table, const SqlRow& key) {
  EVLOG_ASSIGN_OR_RETURN(SqliteStatement * remove, Statement(DeleteSql(table, key)));
  EVLOG_RETURN_IF_ERROR(BindRow(*remove, key));
  return remove->Run();
}

}  // namespace evlog
