#include "apply/apply_command.h"

#include <CLI/CLI.hpp>

#include <fmt/format.h>

#include "apply/apply_session.h"
#include "args/group_options.h"
#include "eventlog/log.h"
#include "term/report.h"

namespace evlog {
namespace {

using eventlog::Result;
using eventlog::Status;

constexpr char kCommand[] = "apply";
constexpr std::string_view kSqliteScheme = "sqlite:";

CLI::Validator TargetValidator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        if (!text.starts_with(kSqliteScheme) || text.size() == kSqliteScheme.size()) {
          return "expected sqlite:PATH (the only kind of target so far)";
        }
        return "";
      },
      "", "");
}

// Where the target continues, checked against the log it is about to read.
Result<uint64_t> StartOffset(const ApplyCommandOptions& o, const eventlog::Log& log,
                             const std::optional<ApplyPosition>& position) {
  EVLOG_ASSIGN_OR_RETURN(eventlog::LogInfo info, log.Info());
  if (!position) return info.first_offset;
  if (position->log_id != log.log_id()) {
    return Status::InvalidArgument(fmt::format(
        "{} was fed by group {} from another log (log id {}), not from {} (log id {}); use a new target, or another "
        "group name",
        o.target_path, o.group, position->log_id, o.log_dir, log.log_id()));
  }
  if (position->next_offset > info.next_offset) {
    return Status::InvalidArgument(fmt::format("{} is at offset {} for group {}, beyond the end of {} (offset {})",
                                               o.target_path, position->next_offset, o.group, o.log_dir,
                                               info.next_offset));
  }
  // Compaction keeps what the group's copy of the position has not reached, and that copy
  // never leads the target's; only `compact --ignore-groups` can get here.
  if (position->next_offset < info.first_offset) {
    return Status::InvalidArgument(fmt::format(
        "{} is at offset {} for group {}, but {} starts at offset {}: the events between were removed, so the "
        "target cannot be brought up to date from this log",
        o.target_path, position->next_offset, o.group, o.log_dir, info.first_offset));
  }
  return position->next_offset;
}

struct Opened {
  std::unique_ptr<eventlog::Log> log;
  std::unique_ptr<SqliteTarget> target;
  std::unique_ptr<eventlog::ConsumerGroups> groups;
  std::unique_ptr<eventlog::Reader> reader;
  std::optional<ApplyPosition> position;
  uint64_t start = 0;
};

Status Open(const ApplyCommandOptions& o, const SignalPipe& signals, Opened* opened) {
  EVLOG_ASSIGN_OR_RETURN(opened->log, eventlog::Log::Open(o.log_dir, {.create_if_missing = false}));
  PrintRecoveryNotes(kCommand, *opened->log);
  EVLOG_ASSIGN_OR_RETURN(opened->target, SqliteTarget::Open(o.target_path, o.create_tables, signals));
  EVLOG_ASSIGN_OR_RETURN(opened->position, opened->target->ReadPosition(o.group));
  EVLOG_ASSIGN_OR_RETURN(opened->start, StartOffset(o, *opened->log, opened->position));
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
      "apply", "Apply change events (from `capture`) to a SQLite database, exactly once, in log order");
  app->add_option("LOG", o.log_dir, "The log directory")->required();
  app->add_option_function<std::string>(
         "--to", [&o](const std::string& text) { o.target_path = text.substr(kSqliteScheme.size()); },
         "The target database: sqlite:PATH")
      ->type_name("sqlite:PATH")
      ->check(TargetValidator())
      ->required();
  app->add_option("-g,--group", o.group,
                  "The group whose position the target keeps (and copies to the log's group of that name)")
      ->type_name("GROUP")
      ->check(GroupNameValidator())
      ->required();
  app->add_flag("-f,--follow", o.follow, "At the end of the log, wait for new events; stop on SIGINT or SIGTERM");
  app->add_flag("--create-tables", o.create_tables,
                "Create the database and any missing table from the first event that names it (no declared "
                "types; primary key from the event's key)");
  app->add_option("--batch", o.batch, "Apply up to N events per transaction of the target (default and most 10000)")
      ->type_name("N")
      ->check(CLI::Range(uint64_t{1}, kMaxRunEvents).description(""));
  app->footer(
      "See evlog-apply(1).\n"
      "Exit status: 0 everything up to the log's end applied, 1 error (an event the target refuses: nothing of "
      "its transaction is applied), 2 usage error, 4 corruption, 128+N ended by signal N.");
  return app;
}

int RunApplyCommand(const ApplyCommandOptions& o) {
  auto signals = SignalPipe::Install();
  if (!signals) return ReportFailure(kCommand, signals.error());
  Opened opened;
  Status status = Open(o, **signals, &opened);
  if (!status.ok()) return ApplyFailureExit(status, **signals);
  ChangeApplier applier(opened.target->db(), o.create_tables);
  ApplySession session({*opened.reader, *opened.target, applier, *opened.groups, **signals},
                       {.group = o.group, .log_id = opened.log->log_id(), .follow = o.follow, .run_events = o.batch},
                       opened.position, opened.start);
  return session.Run();
}

}  // namespace evlog
