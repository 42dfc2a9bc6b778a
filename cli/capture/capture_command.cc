#include "capture/capture_command.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "args/lock_options.h"
#include "capture/outbox.h"
#include "capture/relay_lock.h"
#include "capture/sqlite_install.h"
#include "capture/sqlite_relay.h"
#include "capture/sqlite_snapshot.h"
#include "replay/signal_pipe.h"
#include "term/exit_codes.h"
#include "term/report.h"

namespace evlog {
namespace {

using eventlog::Result;
using eventlog::Status;

constexpr char kCommand[] = "capture";

int Usage(std::string_view message) { return ReportUsageError(kCommand, message, "capture sqlite"); }

// The source database, its lock waits reported and given up only for a SIGINT/SIGTERM.
Result<SqliteDb> OpenSource(const std::string& path, const SignalPipe* signals) {
  EVLOG_ASSIGN_OR_RETURN(SqliteDb db, SqliteDb::Open(path, "create it with the application first"));
  db.SetBusyWait([signals] { return signals == nullptr || signals->termination() == 0; },
                 [path] {
                   PrintNote(kCommand, fmt::format("waiting for DB: {} is locked by another connection "
                                                    "(a long write transaction?)",
                                                    path));
                 });
  return db;
}

int RunInstall(const CaptureCommandOptions& o) {
  auto db = OpenSource(o.db_path, nullptr);
  if (!db) return ReportFailure(kCommand, db.error());
  auto done = o.install ? InstallCapture(*db, o.tables) : UninstallCapture(*db, o.tables);
  if (!done) {
    PrintError(kCommand, done.error().message());
    PrintError(kCommand, "nothing was changed");
    return ExitCodeFor(done.error());
  }
  for (const std::string& line : *done) PrintNote(kCommand, line);
  return kExitOk;
}

// The relay's parts, kept together so that its summary can be printed however it ends.
struct RelaySession {
  std::unique_ptr<Outbox> outbox;
  std::optional<SqliteRelay> relay;
};

Status Relay(const CaptureCommandOptions& o, SqliteDb& db, eventlog::Log& log, const SignalPipe& signals,
             RelaySession& session) {
  EVLOG_ASSIGN_OR_RETURN(session.outbox, Outbox::Open(db));
  EVLOG_RETURN_IF_ERROR(session.outbox->CheckSchema());
  SqliteRelay& relay = session.relay.emplace(*session.outbox, log, signals);
  EVLOG_RETURN_IF_ERROR(relay.Resume());
  if (o.snapshot) {
    EVLOG_ASSIGN_OR_RETURN(SqliteDb snapshot_db, OpenSource(o.db_path, &signals));
    EVLOG_RETURN_IF_ERROR(RunSnapshot(snapshot_db, relay, log));
  }
  return o.follow ? relay.Follow() : relay.RelayAll();
}

int RunRelay(const CaptureCommandOptions& o) {
  auto signals = SignalPipe::Install();
  if (!signals) return ReportFailure(kCommand, signals.error());
  auto db = OpenSource(o.db_path, *signals);
  if (!db) return ReportFailure(kCommand, db.error());
  auto lock = RelayLock::Acquire(o.db_path);
  if (!lock) return ReportFailure(kCommand, lock.error());
  eventlog::LogOptions log_options{.create_if_missing = true};
  ApplyLockOptions(log_options, std::nullopt, kCommand);
  auto log = eventlog::Log::Open(*o.log_dir, log_options);
  if (!log) return ReportFailure(kCommand, log.error());
  PrintRecoveryNotes(kCommand, **log);
  RelaySession session;
  Status status = Relay(o, *db, **log, **signals, session);
  if (session.relay) PrintNote(kCommand, session.relay->Summary());
  if (const int signal = (*signals)->termination()) return 128 + signal;
  if (status.ok()) return kExitOk;
  PrintError(kCommand, status.message());
  return ExitCodeFor(status);
}

}  // namespace

CLI::App* RegisterCaptureCommand(CLI::App& parent, CaptureCommandOptions& o) {
  CLI::App* capture = parent.add_subcommand("capture", "Turn a database's committed row changes into events");
  capture->require_subcommand(1);
  CLI::App* sqlite = capture->add_subcommand(
      "sqlite", "SQLite: --install triggers that record each change in an outbox table, or relay the outbox into LOG");
  sqlite->add_option("DB", o.db_path, "The SQLite database file (must exist)")->required();
  sqlite->add_option("LOG", o.log_dir, "The log to relay changes into (created if missing)");
  sqlite->add_flag("--install", o.install, "Create the outbox and the triggers of each -t TABLE (idempotent)");
  sqlite->add_flag("--uninstall", o.uninstall, "Remove the triggers of each -t TABLE (default: all), then the outbox");
  sqlite->add_option("-t,--table", o.tables, "A table to capture (repeatable)")->type_name("TABLE")->allow_extra_args(false);
  sqlite->add_flag("-f,--follow", o.follow, "Keep relaying new changes until SIGINT or SIGTERM");
  sqlite->add_flag("--snapshot", o.snapshot, "First emit every existing row of the captured tables as an 'r' event");
  CLI::App* postgres = capture->add_subcommand(
      "postgres", "PostgreSQL: stream a logical replication slot's committed transactions into LOG, one batch each");
  pg::CapturePostgresOptions& p = o.postgres;
  postgres->add_option("CONNINFO", p.conninfo, "libpq connection string or URI of the source database")->required();
  postgres->add_option("LOG", p.log_dir, "The log to capture into (created if missing)")->required();
  postgres->add_option("--slot", p.slot, "The logical replication slot to stream from")->required();
  postgres->add_flag("--create-slot", p.create_slot,
                     "Create the slot if missing (and with -t, the publication if missing)");
  postgres->add_flag("--drop-slot", p.drop_slot, "Drop the slot, then exit (the server then frees its WAL)");
  postgres->add_option("--publication", p.publication, "The publication to stream (default: the slot's name)");
  postgres->add_option("-t,--table", p.tables, "With --create-slot: a table of the publication to create (repeatable)")
      ->type_name("TABLE")
      ->allow_extra_args(false);
  postgres->add_flag("-f,--follow", p.follow, "Keep capturing until SIGINT or SIGTERM");
  postgres->add_flag("--snapshot", p.snapshot,
                     "With --create-slot on a new slot: first every row of the publication's tables, as 'r' events");
  postgres->final_callback([&o] { o.postgres_selected = true; });
  return capture;
}

int RunCaptureCommand(const CaptureCommandOptions& o) {
  if (o.postgres_selected) return pg::RunCapturePostgres(o.postgres);
  if (o.install && o.uninstall) return Usage("--install and --uninstall exclude each other");
  if (o.install || o.uninstall) {
    if (o.log_dir) return Usage("--install and --uninstall take no LOG");
    if (o.follow || o.snapshot) return Usage("-f and --snapshot are for relaying (DB LOG)");
    if (o.install && o.tables.empty()) return Usage("--install needs at least one -t TABLE");
    return RunInstall(o);
  }
  if (!o.log_dir) return Usage("missing LOG: evlog capture sqlite DB LOG (or --install -t TABLE)");
  if (!o.tables.empty()) return Usage("-t is for --install and --uninstall; the relay relays every captured table");
  return RunRelay(o);
}

}  // namespace evlog
