#include "apply/postgres/postgres_change_applier.h"

#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

#include "codec/sql_quote.h"

namespace evlog::pg {
namespace {

using eventlog::Result;
using eventlog::Status;

// The table a change names: "schema.table" (a PostgreSQL source, §C7.1) or a bare name
// (SQLite, §C3), found through the connection's search_path. More than one match is
// refused: a schema or table name holding a dot can make "a.b.c" ambiguous.
constexpr char kResolveTable[] =
    "SELECT c.oid::text, pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname), "
    "c.oid = pg_catalog.to_regclass('_evlog_apply') "
    "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind IN ('r', 'p') AND (n.nspname || '.' || c.relname = $1 "
    "OR c.oid = pg_catalog.to_regclass(pg_catalog.quote_ident($1)))";

// The key columns of each unique index ON CONFLICT can infer: valid, not deferred, without
// a predicate or expressions (INCLUDE columns are not key columns).
constexpr char kUniqueKeys[] =
    "SELECT i.indexrelid::text, a.attname FROM pg_catalog.pg_index i "
    "JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid "
    "AND a.attnum = ANY ((i.indkey::int2[])[0:i.indnkeyatts - 1]) "
    "WHERE i.indrelid = $1::oid AND i.indisunique AND i.indimmediate AND i.indisvalid "
    "AND i.indpred IS NULL AND i.indexprs IS NULL ORDER BY 1";

std::string ColumnList(const SqlRow& row) {
  std::string out;
  for (const auto& [name, ignored] : row) out += (out.empty() ? "" : ", ") + QuoteIdentifier(name);
  return out;
}

std::string Placeholders(size_t count) {
  std::string out;
  for (size_t i = 1; i <= count; ++i) out += fmt::format("{}${}", i > 1 ? ", " : "", i);
  return out;
}

void AppendParams(const SqlRow& row, std::vector<TextParam>* params) {
  for (const auto& [name, value] : row) params->push_back(ValueAsText(value));
}

// `key` as a condition: `=` for a value, so that an index finds the row (IS NOT DISTINCT
// FROM would not use one), and IS NULL for a NULL (a replica identity of REPLICA IDENTITY
// FULL may hold NULLs). A column the server did not send (an unchanged TOASTed value in
// a FULL identity's old row) is left out: the others still name the row. Parameters from
// $first on, for the non-NULL values in order.
std::string KeyCondition(const SqlRow& key, size_t first, std::vector<TextParam>* params) {
  std::string where;
  size_t next = first;
  for (const auto& [name, value] : key) {
    if (value.type == SqlValue::Type::kUnchangedToast) continue;
    where += where.empty() ? "" : " AND ";
    if (value.type == SqlValue::Type::kNull) {
      where += QuoteIdentifier(name) + " IS NULL";
    } else {
      where += fmt::format("{} = ${}", QuoteIdentifier(name), next++);
      params->push_back(ValueAsText(value));
    }
  }
  return where.empty() ? "false" : where;
}

}  // namespace

TextParam ValueAsText(const SqlValue& value) {
  switch (value.type) {
    case SqlValue::Type::kNull:
    case SqlValue::Type::kUnchangedToast: return std::nullopt;  // never bound: callers leave those columns out
    case SqlValue::Type::kInteger: return std::to_string(value.integer);
    case SqlValue::Type::kReal:
      if (std::isnan(value.real)) return "NaN";
      if (std::isinf(value.real)) return value.real > 0 ? "Infinity" : "-Infinity";
      return fmt::format("{}", value.real);  // the shortest text that reads back as the same double
    case SqlValue::Type::kText: return value.bytes;
    case SqlValue::Type::kBlob: {
      std::string hex = "\\x";
      hex.reserve(2 + 2 * value.bytes.size());
      for (unsigned char byte : value.bytes) hex += fmt::format("{:02x}", byte);
      return hex;
    }
  }
  return std::nullopt;
}

Status PostgresChangeApplier::Apply(const ChangeEvent& change) {
  EVLOG_ASSIGN_OR_RETURN(const Table* table, Resolve(change.table));
  if (change.key.empty() && (change.op == 'u' || change.op == 'd')) {
    return Status::InvalidArgument(fmt::format(
        "op \"{}\" on table {} has an empty key (its source table has no replica identity): no row to find", change.op,
        change.table));
  }
  if (change.op != 'u' && change.after && HasUnchangedToast(*change.after)) {
    return Status::InvalidArgument("an unchanged TOASTed column outside an update's \"after\"");
  }
  switch (change.op) {
    case 't': return Run("TRUNCATE " + table->sql_name, {}).status();
    case 'c':
    case 'r': {
      if (!change.key.empty()) {
        EVLOG_ASSIGN_OR_RETURN(SqlRow key, KeyValues(*change.after, change.key, "after"));
        return Upsert(*table, key, *change.after);
      }
      std::vector<TextParam> params;
      AppendParams(*change.after, &params);
      return Run(fmt::format("INSERT INTO {} ({}) VALUES ({})", table->sql_name, ColumnList(*change.after),
                             Placeholders(change.after->size())),
                 params)
          .status();
    }
    case 'd': {
      std::vector<TextParam> params;
      const std::string where = KeyCondition(change.key, 1, &params);
      return Run(fmt::format("DELETE FROM {} WHERE {}", table->sql_name, where), params).status();
    }
    default: return ApplyUpdate(*table, change);
  }
}

// The row is found by its old key and updated in place, which keeps the columns the event
// does not carry (TOASTed ones the update left unchanged, columns only the target has).
// A row that is not there is inserted, unless the event lacks some of its values.
Status PostgresChangeApplier::ApplyUpdate(const Table& table, const ChangeEvent& change) {
  EVLOG_ASSIGN_OR_RETURN(SqlRow old_key, OldKey(change));
  EVLOG_ASSIGN_OR_RETURN(int64_t updated, Update(table, WithoutUnchangedToast(*change.after), old_key));
  if (updated > 0) return Status::Ok();
  if (HasUnchangedToast(*change.after)) {
    return Status::InvalidArgument(fmt::format(
        "the update's row is not in table {}, and the columns the update left unchanged (TOASTed, not sent) "
        "cannot be filled in",
        table.sql_name));
  }
  EVLOG_ASSIGN_OR_RETURN(SqlRow new_key, KeyValues(*change.after, change.key, "after"));
  return Upsert(table, new_key, *change.after);
}

// INSERT ... ON CONFLICT when a unique index covers exactly the key's columns; otherwise
// an UPDATE by key, then an INSERT if it found no row (one apply per group writes at a
// time, so nothing comes between the two).
Status PostgresChangeApplier::Upsert(const Table& table, const SqlRow& key, const SqlRow& row) {
  std::vector<TextParam> params;
  AppendParams(row, &params);
  const std::string insert = fmt::format("INSERT INTO {} ({}) VALUES ({})", table.sql_name, ColumnList(row),
                                         Placeholders(row.size()));
  if (HasUniqueKey(table, key)) {
    std::string updates;
    for (const auto& [name, ignored] : row) {
      if (FindColumn(key, name) != nullptr) continue;
      updates += fmt::format("{}{} = EXCLUDED.{}", updates.empty() ? "" : ", ", QuoteIdentifier(name), QuoteIdentifier(name));
    }
    return Run(fmt::format("{} ON CONFLICT ({}) DO {}", insert, ColumnList(key),
                           updates.empty() ? "NOTHING" : "UPDATE SET " + updates),
               params)
        .status();
  }
  EVLOG_ASSIGN_OR_RETURN(int64_t updated, Update(table, row, key));
  if (updated > 0) return Status::Ok();
  return Run(insert, params).status();
}

Result<int64_t> PostgresChangeApplier::Update(const Table& table, const SqlRow& row, const SqlRow& key) {
  if (row.empty()) return 1;  // nothing to set: only unchanged columns, and the row is not looked for
  std::vector<TextParam> params;
  AppendParams(row, &params);
  std::string sets;
  for (size_t i = 0; i < row.size(); ++i) sets += fmt::format("{}{} = ${}", i ? ", " : "", QuoteIdentifier(row[i].first), i + 1);
  const std::string where = KeyCondition(key, row.size() + 1, &params);
  return Run(fmt::format("UPDATE {} SET {} WHERE {}", table.sql_name, sets, where), params);
}

bool PostgresChangeApplier::HasUniqueKey(const Table& table, const SqlRow& key) const {
  std::set<std::string> columns;
  for (const auto& [name, ignored] : key) columns.insert(name);
  for (const auto& unique : table.unique_keys) {
    if (unique == columns) return true;
  }
  return false;
}

// Rows the statement changed.
Result<int64_t> PostgresChangeApplier::Run(const std::string& sql, const std::vector<TextParam>& params) {
  EVLOG_ASSIGN_OR_RETURN(PgResultPtr result, connection_.RunPrepared(sql, params, "apply a change"));
  return std::strtoll(PQcmdTuples(result.get()), nullptr, 10);
}

Result<const PostgresChangeApplier::Table*> PostgresChangeApplier::Resolve(const std::string& name) {
  auto known = tables_.find(name);
  if (known != tables_.end()) return &known->second;
  EVLOG_ASSIGN_OR_RETURN(PgResultPtr found, connection_.RunPrepared(kResolveTable, {name}, "look up table " + name));
  if (PQntuples(found.get()) == 0) {
    return Status::InvalidArgument(fmt::format("table {} does not exist in the target (create it: apply "
                                               "cannot tell PostgreSQL column types from events)",
                                               name));
  }
  if (PQntuples(found.get()) > 1) {
    return Status::InvalidArgument(
        fmt::format("table {} names {} tables of the target ({} and {}); rename one", name, PQntuples(found.get()),
                    PQgetvalue(found.get(), 0, 1), PQgetvalue(found.get(), 1, 1)));
  }
  // A change captured from a database that is itself an apply target (a publication FOR ALL
  // TABLES) would move another group's position: never written from events.
  if (std::string_view(PQgetvalue(found.get(), 0, 2)) == "t") {
    return Status::InvalidArgument(fmt::format(
        "table {} is evlog's own position table ({}): changes to it are not applied (leave it out of the "
        "source's publication)",
        name, PQgetvalue(found.get(), 0, 1)));
  }
  Table table{PQgetvalue(found.get(), 0, 1), {}};
  EVLOG_ASSIGN_OR_RETURN(PgResultPtr keys, connection_.RunPrepared(kUniqueKeys, {PQgetvalue(found.get(), 0, 0)},
                                                                    "look up the unique indexes of " + name));
  std::string index;
  for (int i = 0; i < PQntuples(keys.get()); ++i) {
    if (index != PQgetvalue(keys.get(), i, 0)) {
      index = PQgetvalue(keys.get(), i, 0);
      table.unique_keys.emplace_back();
    }
    table.unique_keys.back().insert(PQgetvalue(keys.get(), i, 1));
  }
  return &tables_.emplace(name, std::move(table)).first->second;
}

}  // namespace evlog::pg
