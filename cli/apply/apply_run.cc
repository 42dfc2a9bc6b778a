// Running `evlog apply` (options registered in apply_command.cc): opens the log, the target
// and the position the target keeps, then an ApplySession.
#include "apply/apply_command.h"

#include <fmt/format.h>

#include "apply/apply_session.h"
#include "apply/postgres/postgres_target.h"
#include "apply/sqlite/sqlite_target.h"
#include "eventlog/log.h"
#include "term/exit_codes.h"
#include "term/report.h"

namespace evlog {
namespace {

using eventlog::Result;
using eventlog::Status;

constexpr char kCommand[] = "apply";

// Where the target continues, checked against the log it is about to read.
Result<uint64_t> StartOffset(const ApplyCommandOptions& o, const std::string& target_name, const eventlog::Log& log,
                             const std::optional<ApplyPosition>& position) {
  EVLOG_ASSIGN_OR_RETURN(eventlog::LogInfo info, log.Info());
  if (!position) return info.first_offset;
  if (position->log_id != log.log_id()) {
    return Status::InvalidArgument(fmt::format(
        "{} was fed by group {} from another log (log id {}), not from {} (log id {}); use a new target, or another "
        "group name",
        target_name, o.group, position->log_id, o.log_dir, log.log_id()));
  }
  if (position->next_offset > info.next_offset) {
    return Status::InvalidArgument(fmt::format("{} is at offset {} for group {}, beyond the end of {} (offset {})",
                                               target_name, position->next_offset, o.group, o.log_dir,
                                               info.next_offset));
  }
  // Compaction keeps what the group's copy of the position has not reached, and that copy
  // never leads the target's; only `compact --ignore-groups` can get here.
  if (position->next_offset < info.first_offset) {
    return Status::InvalidArgument(fmt::format(
        "{} is at offset {} for group {}, but {} starts at offset {}: the events between were removed, so the "
        "target cannot be brought up to date from this log",
        target_name, position->next_offset, o.group, o.log_dir, info.first_offset));
  }
  return position->next_offset;
}

struct Opened {
  std::unique_ptr<eventlog::Log> log;
  std::unique_ptr<ApplyTarget> target;
  std::unique_ptr<eventlog::ConsumerGroups> groups;
  std::unique_ptr<eventlog::Reader> reader;
  std::optional<ApplyPosition> position;
  uint64_t start = 0;
};

Status Open(const ApplyCommandOptions& o, const SignalPipe& signals, Opened* opened) {
  EVLOG_ASSIGN_OR_RETURN(opened->log, eventlog::Log::Open(o.log_dir, {.create_if_missing = false}));
  PrintRecoveryNotes(kCommand, *opened->log);
  if (o.target_kind == ApplyCommandOptions::TargetKind::kSqlite) {
    EVLOG_ASSIGN_OR_RETURN(opened->target, SqliteTarget::Open(o.target, o.create_tables, signals));
  } else {
    EVLOG_ASSIGN_OR_RETURN(opened->target, pg::PostgresTarget::Open(o.target, signals));
  }
  EVLOG_ASSIGN_OR_RETURN(opened->position, opened->target->ReadPosition(o.group));
  EVLOG_ASSIGN_OR_RETURN(opened->start, StartOffset(o, opened->target->name(), *opened->log, opened->position));
  // The group's copy may lag after a crash, or have been moved by `groups --reset-to`:
  // the target's position is the truth, so the copy starts out equal to it (and is listed
  // by `evlog groups` from now on).
  EVLOG_ASSIGN_OR_RETURN(opened->groups, eventlog::ConsumerGroups::Open(*opened->log));
  EVLOG_ASSIGN_OR_RETURN(eventlog::GroupInfo copy, opened->groups->Get(o.group));
  if (copy.updated_ns == 0 || copy.position != opened->start) {
    EVLOG_RETURN_IF_ERROR(opened->groups->Reset(o.group, opened->start).status());
  }
  EVLOG_ASSIGN_OR_RETURN(opened->reader, opened->log->NewReader());
  return opened->reader->SeekToOffset(opened->start);
}

}  // namespace

int RunApplyCommand(const ApplyCommandOptions& o) {
  if (o.create_tables && o.target_kind == ApplyCommandOptions::TargetKind::kPostgres) {
    PrintError(kCommand,
               "--create-tables works with sqlite: targets only: PostgreSQL columns need types, which change events "
               "do not carry; create the tables in the target first (see evlog-apply(1))");
    return kExitUsage;
  }
  auto signals = SignalPipe::Install();
  if (!signals) return ReportFailure(kCommand, signals.error());
  Opened opened;
  Status status = Open(o, **signals, &opened);
  if (!status.ok()) return ApplyFailureExit(status, **signals);
  ApplySession session({*opened.reader, *opened.target, *opened.groups, **signals},
                       {.group = o.group, .log_id = opened.log->log_id(), .follow = o.follow, .run_events = o.batch},
                       opened.position, opened.start);
  return session.Run();
}

}  // namespace evlog
