#include "apply/apply_command.h"

#include <CLI/CLI.hpp>

#include <fmt/format.h>

#include "apply/apply_session.h"
#include "apply/postgres/postgres_target.h"
#include "apply/sqlite/sqlite_target.h"
#include "args/group_options.h"
#include "args/number_option.h"
#include "eventlog/log.h"
#include "term/exit_codes.h"
#include "term/report.h"

namespace evlog {
namespace {

using eventlog::Result;
using eventlog::Status;

constexpr char kCommand[] = "apply";
constexpr std::string_view kSqliteScheme = "sqlite:";
constexpr std::string_view kPostgresScheme = "postgres:";

// Splits --to into its kind and what follows the scheme; false for neither kind.
bool ParseTarget(const std::string& text, ApplyCommandOptions::TargetKind* kind, std::string* target) {
  if (text.starts_with(kSqliteScheme) && text.size() > kSqliteScheme.size()) {
    *kind = ApplyCommandOptions::TargetKind::kSqlite;
    *target = text.substr(kSqliteScheme.size());
    return true;
  }
  if (text.starts_with("postgres://") || text.starts_with("postgresql://")) {
    *kind = ApplyCommandOptions::TargetKind::kPostgres;
    *target = text;
    return true;
  }
  if (text.starts_with(kPostgresScheme) && text.size() > kPostgresScheme.size()) {
    *kind = ApplyCommandOptions::TargetKind::kPostgres;
    *target = text.substr(kPostgresScheme.size());
    return true;
  }
  return false;
}

CLI::Validator TargetValidator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        ApplyCommandOptions::TargetKind kind;
        std::string target;
        if (!ParseTarget(text, &kind, &target)) {
          return "expected sqlite:PATH, postgres://... (a libpq URI) or postgres:CONNINFO (a libpq keyword string)";
        }
        return "";
      },
      "", "");
}

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

CLI::App* RegisterApplyCommand(CLI::App& parent, ApplyCommandOptions& o) {
  CLI::App* app = parent.add_subcommand(
      "apply", "Apply change events (from `capture`) to a SQLite or PostgreSQL database, exactly once, in log order");
  app->add_option("LOG", o.log_dir, "The log directory")->required();
  app->add_option_function<std::string>(
         "--to", [&o](const std::string& text) { ParseTarget(text, &o.target_kind, &o.target); },
         "The target database: sqlite:PATH, postgres://USER@HOST/DB (a libpq URI) or postgres:CONNINFO")
      ->type_name("TARGET")
      ->check(TargetValidator())
      ->required();
  app->add_option("-g,--group", o.group,
                  "The group whose position the target keeps (and copies to the log's group of that name)")
      ->type_name("GROUP")
      ->check(GroupNameValidator())
      ->required();
  app->add_flag("-f,--follow", o.follow, "At the end of the log, wait for new events; stop on SIGINT or SIGTERM");
  app->add_flag("--create-tables", o.create_tables,
                "sqlite: only: create the database and any missing table from the first event that names it (no "
                "declared types; primary key from the event's key)");
  AddWholeNumberOption(*app, "--batch", [&o](uint64_t n) { o.batch = n; },
                       "Apply up to N events per transaction of the target (default and most 10000)", 1,
                       kMaxRunEvents)
      ->type_name("N");
  app->footer(
      "See evlog-apply(1).\n"
      "Exit status: 0 everything up to the log's end applied, 1 error (an event the target refuses: nothing of "
      "its transaction is applied), 2 usage error, 4 corruption, 128+N ended by signal N.");
  return app;
}

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
