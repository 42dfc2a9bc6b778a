// Running `evlog capture` (options registered in capture_command.cc): install, uninstall or
// relay for SQLite; PostgreSQL is capture/postgres/.
#include "capture/capture_command.h"

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
  // The triggers record TEXT through quote() and the relay reads it as bytes (§C1.2): in a
  // UTF-16 database those bytes are UTF-16, which the events' JSON would carry as garbage.
  EVLOG_ASSIGN_OR_RETURN(SqliteStatement encoding, db.Prepare("PRAGMA encoding"));
  EVLOG_ASSIGN_OR_RETURN(bool row, encoding.Step());
  if (row && encoding.Text(0) != "UTF-8") {
    return Status::InvalidArgument(fmt::format(
        "{}: the database's text encoding is {}; capture supports UTF-8 databases only (the SQLite default; it is "
        "fixed when the database is created)",
        path, encoding.Text(0)));
  }
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
