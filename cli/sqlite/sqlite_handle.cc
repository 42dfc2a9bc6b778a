#include "sqlite/sqlite_handle.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include <fmt/format.h>

namespace evlog {

using eventlog::Result;
using eventlog::Status;

namespace {

// How often a busy database is retried, and when a wait is worth telling the user about.
constexpr std::chrono::milliseconds kBusyRetry{2};
constexpr std::chrono::milliseconds kLongWait{1000};

}  // namespace

SqliteStatement::SqliteStatement(sqlite3_stmt* stmt, std::string db_path)
    : stmt_(stmt), db_path_(std::move(db_path)) {}

void SqliteStatement::Finalize::operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }

Status SqliteStatement::BindError(int index) const {
  return Status::IOError(
      fmt::format("{}: cannot bind parameter {}: {}", db_path_, index, sqlite3_errmsg(sqlite3_db_handle(stmt_.get()))));
}

Status SqliteStatement::BindInt64(int index, int64_t value) {
  if (sqlite3_bind_int64(stmt_.get(), index, value) == SQLITE_OK) return Status::Ok();
  return BindError(index);
}

Status SqliteStatement::BindText(int index, std::string_view value) {
  if (sqlite3_bind_text64(stmt_.get(), index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8) ==
      SQLITE_OK) {
    return Status::Ok();
  }
  return BindError(index);
}

Status SqliteStatement::BindValue(int index, const SqlValue& value) {
  sqlite3_stmt* s = stmt_.get();
  int rc = SQLITE_MISUSE;
  switch (value.type) {
    case SqlValue::Type::kNull: rc = sqlite3_bind_null(s, index); break;
    case SqlValue::Type::kInteger: rc = sqlite3_bind_int64(s, index, value.integer); break;
    case SqlValue::Type::kReal: rc = sqlite3_bind_double(s, index, value.real); break;
    case SqlValue::Type::kText:
      rc = sqlite3_bind_text64(s, index, value.bytes.data(), value.bytes.size(), SQLITE_STATIC, SQLITE_UTF8);
      break;
    case SqlValue::Type::kBlob:
      rc = sqlite3_bind_blob64(s, index, value.bytes.data(), value.bytes.size(), SQLITE_STATIC);
      break;
    case SqlValue::Type::kUnchangedToast:
      return Status::InvalidArgument(fmt::format("{}: no value to bind at {} (an unchanged TOASTed column)", db_path_, index));
  }
  return rc == SQLITE_OK ? Status::Ok() : BindError(index);
}

Result<bool> SqliteStatement::Step() {
  const int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  std::string message = sqlite3_errmsg(sqlite3_db_handle(stmt_.get()));
  std::string sql = sqlite3_sql(stmt_.get());
  sqlite3_reset(stmt_.get());
  return Status::IOError(fmt::format("{}: {} (in: {})", db_path_, message, sql.substr(0, 80)));
}

Status SqliteStatement::Run() {
  Result<bool> row = Step();
  while (row && *row) row = Step();
  Reset();
  return row.status();
}

void SqliteStatement::Reset() {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
}

bool SqliteStatement::IsNull(int column) const { return sqlite3_column_type(stmt_.get(), column) == SQLITE_NULL; }

int64_t SqliteStatement::Int64(int column) const { return sqlite3_column_int64(stmt_.get(), column); }

double SqliteStatement::Double(int column) const { return sqlite3_column_double(stmt_.get(), column); }

std::string_view SqliteStatement::Text(int column) const {
  // In a UTF-8 database, the bytes as stored, whatever they are (text need not be valid
  // UTF-8, and may hold NUL: the length comes from sqlite3_column_bytes); in a UTF-16 one,
  // converted to UTF-8 (sqlite3_column_blob gave the UTF-16 bytes).
  const unsigned char* bytes = sqlite3_column_text(stmt_.get(), column);
  const int size = sqlite3_column_bytes(stmt_.get(), column);
  if (bytes == nullptr) return {};
  return {reinterpret_cast<const char*>(bytes), static_cast<size_t>(size)};
}

SqlValue SqliteStatement::Value(int column) const {
  switch (sqlite3_column_type(stmt_.get(), column)) {
    case SQLITE_INTEGER: return SqlValue::Integer(Int64(column));
    case SQLITE_FLOAT: return SqlValue::Real(Double(column));
    case SQLITE_TEXT: return SqlValue::Text(std::string(Text(column)));
    case SQLITE_BLOB: return SqlValue::Blob(std::string(Text(column)));
    default: return SqlValue::Null();
  }
}

void SqliteDb::Close::operator()(sqlite3* db) const { sqlite3_close_v2(db); }

Result<SqliteDb> SqliteDb::Open(const std::string& path, std::string_view if_missing) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    std::string message = fmt::format("{}: no such database ({})", path, std::strerror(errno));
    if (!if_missing.empty()) message += fmt::format("; {}", if_missing);
    return Status::NotFound(std::move(message));
  }
  return OpenWithFlags(path, SQLITE_OPEN_READWRITE);
}

Result<SqliteDb> SqliteDb::OpenOrCreate(const std::string& path) {
  return OpenWithFlags(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
}

Result<SqliteDb> SqliteDb::OpenWithFlags(const std::string& path, int flags) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  SqliteDb db;
  db.db_.reset(raw);  // a failed open still returns a handle to close
  db.path_ = path;
  if (rc != SQLITE_OK) return db.Error("cannot open the database");
  sqlite3_extended_result_codes(raw, 1);
  return db;
}

void SqliteDb::SetBusyWait(std::function<bool()> keep_waiting, std::function<void()> on_long_wait) {
  busy_ = std::make_unique<BusyWait>(BusyWait{std::move(keep_waiting), std::move(on_long_wait), {}, false});
  sqlite3_busy_handler(db_.get(), &SqliteDb::OnBusy, busy_.get());
}

int SqliteDb::OnBusy(void* arg, int count) {
  auto* wait = static_cast<BusyWait*>(arg);
  const auto now = std::chrono::steady_clock::now();
  if (count == 0) {
    wait->started = now;
    wait->reported = false;
  }
  if (!wait->keep_waiting()) return 0;
  if (!wait->reported && now - wait->started >= kLongWait) {
    wait->reported = true;
    wait->on_long_wait();
  }
  std::this_thread::sleep_for(kBusyRetry);
  return 1;
}

Status SqliteDb::Exec(const std::string& sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, &message) == SQLITE_OK) return Status::Ok();
  std::string text = message ? message : sqlite3_errmsg(db_.get());
  sqlite3_free(message);
  return Status::IOError(fmt::format("{}: {}", path_, text));
}

Result<SqliteStatement> SqliteDb::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt,
                         nullptr) != SQLITE_OK) {
    return Error(fmt::format("cannot prepare \"{}\"", sql.substr(0, 80)));
  }
  return SqliteStatement(stmt, path_);
}

Status SqliteDb::Error(std::string_view what) const {
  return Status::IOError(fmt::format("{}: {}: {}", path_, what, db_ ? sqlite3_errmsg(db_.get()) : "out of memory"));
}

bool SqliteDb::InTransaction() const { return sqlite3_get_autocommit(db_.get()) == 0; }

int64_t SqliteDb::Changes() const { return sqlite3_changes64(db_.get()); }

}  // namespace evlog
