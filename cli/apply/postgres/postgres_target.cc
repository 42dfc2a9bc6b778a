#include "apply/postgres/postgres_target.h"

#include <cstdlib>

#include <fmt/format.h>

namespace evlog::pg {
namespace {

using eventlog::Result;
using eventlog::Status;

constexpr char kCreatePositionTable[] =
    "CREATE TABLE _evlog_apply (grp text PRIMARY KEY, log_id text NOT NULL, "
    "next_offset bigint NOT NULL)";
constexpr char kReadPosition[] = "SELECT log_id, next_offset FROM _evlog_apply WHERE grp = $1";
constexpr char kWritePosition[] =
    "INSERT INTO _evlog_apply (grp, log_id, next_offset) VALUES ($1, $2, $3) "
    "ON CONFLICT (grp) DO UPDATE SET log_id = EXCLUDED.log_id, next_offset = EXCLUDED.next_offset";
// Held until the transaction ends; the key is derived from the group's name by the
// server's own stable text hash, so every evlog version computes the same one.
constexpr char kLockGroup[] = "SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended($1, 0))";

std::string LockName(std::string_view group) { return fmt::format("evlog apply {}", group); }

}  // namespace

Result<std::unique_ptr<PostgresTarget>> PostgresTarget::Open(const std::string& conninfo,
                                                             const SignalPipe& signals) {
  EVLOG_ASSIGN_OR_RETURN(std::unique_ptr<TargetConnection> connection, TargetConnection::Connect(conninfo, signals));
  // Created only if no _evlog_apply is visible through the search_path (format-spec §C6.2).
  // CREATE TABLE IF NOT EXISTS alone looks in the first schema only: a schema created ahead
  // of the table's ("$user", say) would get a new, empty table, and every event would be
  // applied again.
  const auto visible = [&connection]() -> Result<bool> {
    EVLOG_ASSIGN_OR_RETURN(PgResultPtr found,
                           connection->Run("SELECT pg_catalog.to_regclass('_evlog_apply') IS NOT NULL", {},
                                           "look up table _evlog_apply"));
    return std::string_view(PQgetvalue(found.get(), 0, 0)) == "t";
  };
  EVLOG_ASSIGN_OR_RETURN(bool exists, visible());
  if (!exists) {
    // Two applies starting at once may both try to create the table; the loser's error is
    // worth nothing, so it looks again before giving up.
    Result<PgResultPtr> created = connection->Run(kCreatePositionTable, {}, "create table _evlog_apply");
    if (!created) {
      EVLOG_ASSIGN_OR_RETURN(exists, visible());
      if (!exists) return created.error();
    }
  }
  return std::unique_ptr<PostgresTarget>(new PostgresTarget(std::move(connection)));
}

Result<std::optional<ApplyPosition>> PostgresTarget::ReadPosition(std::string_view group) {
  EVLOG_ASSIGN_OR_RETURN(PgResultPtr row,
                         connection_->RunPrepared(kReadPosition, {std::string(group)}, "read the group's position"));
  if (PQntuples(row.get()) == 0) return std::optional<ApplyPosition>();
  const char* offset = PQgetvalue(row.get(), 0, 1);
  char* end = nullptr;
  const long long next = std::strtoll(offset, &end, 10);
  if (*offset == '\0' || *end != '\0' || next < 0) {
    return Status::InvalidArgument(
        fmt::format("{}: _evlog_apply holds next_offset {} for group {}: not an offset", name(), offset, group));
  }
  return std::optional<ApplyPosition>(ApplyPosition{PQgetvalue(row.get(), 0, 0), static_cast<uint64_t>(next)});
}

Status PostgresTarget::Begin(std::string_view group) {
  applier_.ForgetSchema();
  EVLOG_RETURN_IF_ERROR(connection_->Run("BEGIN", {}, "begin a transaction").status());
  return connection_->RunPrepared(kLockGroup, {LockName(group)}, "lock the group's position").status();
}

Status PostgresTarget::WritePosition(std::string_view group, const ApplyPosition& position) {
  return connection_
      ->RunPrepared(kWritePosition, {std::string(group), position.log_id, std::to_string(position.next_offset)},
                    "write the group's position")
      .status();
}

// A COMMIT of a transaction that failed answers ROLLBACK, not an error: the tag tells.
Status PostgresTarget::Commit() {
  EVLOG_ASSIGN_OR_RETURN(PgResultPtr done, connection_->Run("COMMIT", {}, "commit"));
  if (std::string_view(PQcmdStatus(done.get())) != "COMMIT") {
    return Status::IOError(fmt::format("{}: commit: the server rolled the transaction back", name()));
  }
  return Status::Ok();
}

}  // namespace evlog::pg
