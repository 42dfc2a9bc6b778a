#include "apply/sqlite/sqlite_target.h"

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
// With the values' types: SQLite stores what it is given, and an edited row may hold text
// where evlog wrote an integer (read as 0 it would apply everything again).
constexpr char kReadPosition[] =
    "SELECT log_id, next_offset, typeof(log_id), typeof(next_offset) FROM _evlog_apply WHERE grp = ?1";
constexpr char kWritePosition[] =
    "INSERT INTO _evlog_apply (grp, log_id, next_offset) VALUES (?1, ?2, ?3) "
    "ON CONFLICT(grp) DO UPDATE SET log_id = excluded.log_id, next_offset = excluded.next_offset";

}  // namespace

Result<std::unique_ptr<SqliteTarget>> SqliteTarget::Open(const std::string& path, bool create_tables,
                                                         const SignalPipe& signals) {
  EVLOG_ASSIGN_OR_RETURN(SqliteDb db, create_tables ? SqliteDb::OpenOrCreate(path)
                                                    : SqliteDb::Open(path, "create it, or run with --create-tables"));
  // Only a termination signal gives up a wait, failing the statement with SQLITE_BUSY.
  db.SetBusyWait([&signals] { return signals.termination() == 0; },
                 [path] { PrintNote(kCommand, fmt::format("waiting for {}: another connection holds its lock", path)); });
  std::unique_ptr<SqliteTarget> target(new SqliteTarget(std::move(db), create_tables));
  EVLOG_RETURN_IF_ERROR(target->db_.Exec(kCreatePositionTable));
  EVLOG_RETURN_IF_ERROR(target->PrepareStatements());
  return target;
}

Status SqliteTarget::PrepareStatements() {
  EVLOG_ASSIGN_OR_RETURN(read_position_, db_.Prepare(kReadPosition));
  EVLOG_ASSIGN_OR_RETURN(write_position_, db_.Prepare(kWritePosition));
  return Status::Ok();
}

Result<std::optional<ApplyPosition>> SqliteTarget::ReadPosition(std::string_view group) {
  EVLOG_RETURN_IF_ERROR(read_position_.BindText(1, group));
  EVLOG_ASSIGN_OR_RETURN(bool row, read_position_.Step());
  std::optional<ApplyPosition> position;
  if (row) {
    const bool log_id_text = read_position_.Text(2) == "text";
    const bool offset_integer = read_position_.Text(3) == "integer" && read_position_.Int64(1) >= 0;
    if (!log_id_text || !offset_integer) {
      const std::string offset(read_position_.Text(1));
      const std::string type(read_position_.Text(3));
      read_position_.Reset();
      return Status::InvalidArgument(fmt::format(
          "{}: _evlog_apply holds {} for group {}: not an offset (a log id as text and a non-negative integer "
          "are what apply writes; fix the row, or delete it to apply the whole log again)",
          name(), !offset_integer ? fmt::format("next_offset '{}' ({})", offset, type) : std::string("a log_id that is not text"),
          group));
    }
    position = ApplyPosition{std::string(read_position_.Text(0)), static_cast<uint64_t>(read_position_.Int64(1))};
  }
  read_position_.Reset();
  return position;
}

// The applier forgets what it learnt of the tables: the schema may have changed since the
// last run (a migration, a rolled-back run that created a table).
Status SqliteTarget::Begin(std::string_view /*group*/) {
  applier_.ForgetSchema();
  return db_.Exec("BEGIN IMMEDIATE");
}

Status SqliteTarget::WritePosition(std::string_view group, const ApplyPosition& position) {
  EVLOG_RETURN_IF_ERROR(write_position_.BindText(1, group));
  EVLOG_RETURN_IF_ERROR(write_position_.BindText(2, position.log_id));
  EVLOG_RETURN_IF_ERROR(write_position_.BindInt64(3, static_cast<int64_t>(position.next_offset)));
  return write_position_.Run();
}

Status SqliteTarget::Commit() { return db_.Exec("COMMIT"); }

void SqliteTarget::Rollback() {
  // A failed ROLLBACK leaves nothing to do: SQLite then rolls back itself on close.
  if (db_.InTransaction()) (void)db_.Exec("ROLLBACK");
}

}  // namespace evlog
