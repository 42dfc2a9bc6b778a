#include "apply/sqlite_target.h"

#include <sqlite3.h>
#include <unistd.h>

#include <fmt/format.h>

#include "term/report.h"

namespace evlog {
namespace {

using eventlog::Result;
using eventlog::Status;

constexpr char kCommand[] = "apply";

constexpr char kCreatePositionTable[] =
    "CREATE TABLE IF NOT EXISTS _evlog_apply (grp TEXT PRIMARY KEY, log_id TEXT NOT NULL, "
    "next_offset INTEGER NOT NULL) WITHOUT ROWID";
constexpr char kReadPosition[] = "SELECT log_id, next_offset FROM _evlog_apply WHERE grp = ?1";
constexpr char kWritePosition[] =
    "INSERT INTO _evlog_apply (grp, log_id, next_offset) VALUES (?1, ?2, ?3) "
    "ON CONFLICT(grp) DO UPDATE SET log_id = excluded.log_id, next_offset = excluded.next_offset";

}  // namespace

// Called while another connection holds a lock this one needs, `attempts` being the number
// of earlier calls for this wait. Sleeps 10 ms a time, saying so once after about a second;
// returning 0 gives up with SQLITE_BUSY, which only a termination signal does.
int SqliteTarget::WaitForLock(void* self, int attempts) {
  const auto* target = static_cast<const SqliteTarget*>(self);
  if (target->signals_->termination() != 0) return 0;
  if (attempts == 100) {
    PrintError(kCommand, fmt::format("waiting for {}: another connection holds its lock", target->path_));
  }
  usleep(10'000);
  return 1;
}

Result<std::unique_ptr<SqliteTarget>> SqliteTarget::Open(const std::string& path, bool create,
                                                         const SignalPipe& signals) {
  if (!create && access(path.c_str(), F_OK) != 0) {
    return Status::NotFound(fmt::format("{} does not exist: create it, or run with --create-tables", path));
  }
  const int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
  EVLOG_ASSIGN_OR_RETURN(SqliteDb db, OpenSqlite(path, flags));
  std::unique_ptr<SqliteTarget> target(new SqliteTarget(path, std::move(db)));
  target->signals_ = &signals;
  sqlite3_busy_handler(target->db(), WaitForLock, target.get());
  EVLOG_RETURN_IF_ERROR(ExecSqlite(target->db(), kCreatePositionTable).WithContext(path));
  EVLOG_RETURN_IF_ERROR(target->PrepareStatements());
  return target;
}

Status SqliteTarget::PrepareStatements() {
  EVLOG_ASSIGN_OR_RETURN(read_position_, PrepareSqlite(db(), kReadPosition));
  EVLOG_ASSIGN_OR_RETURN(write_position_, PrepareSqlite(db(), kWritePosition));
  return Status::Ok();
}

Result<std::optional<ApplyPosition>> SqliteTarget::ReadPosition(std::string_view group) {
  sqlite3_stmt* s = read_position_.get();
  sqlite3_bind_text(s, 1, group.data(), static_cast<int>(group.size()), SQLITE_STATIC);
  Result<bool> row = StepSqlite(s);
  std::optional<ApplyPosition> position;
  if (row && *row) {
    const auto* log_id = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    position = ApplyPosition{log_id ? log_id : "", static_cast<uint64_t>(sqlite3_column_int64(s, 1))};
  }
  sqlite3_reset(s);
  if (!row) return row.error().WithContext(fmt::format("{}: cannot read _evlog_apply", path_));
  return position;
}

Status SqliteTarget::Begin() {
  return ExecSqlite(db(), "BEGIN IMMEDIATE").WithContext(path_);
}

Status SqliteTarget::WritePosition(std::string_view group, const ApplyPosition& position) {
  sqlite3_stmt* s = write_position_.get();
  sqlite3_bind_text(s, 1, group.data(), static_cast<int>(group.size()), SQLITE_STATIC);
  sqlite3_bind_text(s, 2, position.log_id.data(), static_cast<int>(position.log_id.size()), SQLITE_STATIC);
  sqlite3_bind_int64(s, 3, static_cast<int64_t>(position.next_offset));
  return RunSqlite(s).WithContext(fmt::format("{}: cannot write _evlog_apply", path_));
}

Status SqliteTarget::Commit() { return ExecSqlite(db(), "COMMIT").WithContext(path_); }

void SqliteTarget::Rollback() {
  if (!sqlite3_get_autocommit(db())) sqlite3_exec(db(), "ROLLBACK", nullptr, nullptr, nullptr);
}

}  // namespace evlog
