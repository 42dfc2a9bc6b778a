#include "capture/postgres/capture_postgres.h"

#include <fmt/format.h>

#include "args/lock_options.h"
#include "capture/postgres/admin_connection.h"
#include "capture/postgres/logical_stream.h"
#include "capture/postgres/postgres_relay.h"
#include "capture/postgres/replication_messages.h"
#include "capture/postgres/replication_connection.h"
#include "capture/postgres/resume_position.h"
#include "capture/postgres/snapshot_reader.h"
#include "replay/signal_pipe.h"
#include "term/exit_codes.h"
#include "term/report.h"

namespace evlog::pg {
namespace {

using eventlog::Status;

constexpr char kCommand[] = "capture";

int Usage(std::string_view message) { return ReportUsageError(kCommand, message, "capture postgres"); }

int Fail(const Status& status, std::string_view hint = {}) {
  PrintError(kCommand, status.message());
  if (!hint.empty()) PrintError(kCommand, hint);
  return ExitCodeFor(status);
}

std::string PublicationOf(const CapturePostgresOptions& o) { return o.publication.empty() ? o.slot : o.publication; }

// --create-slot: the publication (when asked for) and the slot, each only if missing.
int CreateSlot(const CapturePostgresOptions& o, AdminConnection& admin) {
  const std::string publication = PublicationOf(o);
  if (!o.tables.empty()) {
    auto exists = admin.PublicationExists(publication);
    if (!exists) return Fail(exists.error());
    if (!*exists) {
      if (Status s = admin.CreatePublication(publication, o.tables); !s.ok()) return Fail(s);
      PrintNote(kCommand, fmt::format("created publication {}", publication));
    }
  }
  auto exists = admin.SlotExists(o.slot);
  if (!exists) return Fail(exists.error());
  if (o.snapshot) {
    // Only a slot being created exports a snapshot: the relay creates it, then reads it.
    if (!*exists) return kExitOk;
    PrintError(kCommand, fmt::format("--snapshot needs a new slot, and slot {} exists: its snapshot is gone. "
                                     "Drop it first (--drop-slot) to start over with a snapshot",
                                     o.slot));
    return kExitError;
  }
  if (!*exists) {
    if (Status s = admin.CreateSlot(o.slot); !s.ok()) return Fail(s);
    PrintError(kCommand, fmt::format("created slot {}: until it is dropped (--drop-slot) the server keeps the WAL "
                                     "it has not confirmed",
                                     o.slot));
  }
  return kExitOk;
}

// The server refuses a second START_REPLICATION on an active slot: that is what keeps one
// relay per slot (§C7.4). Its message, and a missing slot's, say what to do here.
Status ExplainStartError(const Status& status, const CapturePostgresOptions& o) {
  const std::string& m = status.message();
  if (m.find("is active for PID") != std::string::npos)
    return Status::Busy(fmt::format("{}: another relay is streaming from slot {}; only one may at a time", m, o.slot));
  if (m.find("does not exist") != std::string::npos && m.find("slot") != std::string::npos)
    return Status::NotFound(fmt::format("{}: create it with --create-slot", m));
  if (m.find("publication") != std::string::npos && m.find("does not exist") != std::string::npos)
    return Status::NotFound(fmt::format("{}: create it with --create-slot -t TABLE...", m));
  return status;
}

Status Relay(const CapturePostgresOptions& o, const SignalPipe& signals, std::optional<PostgresRelay>& relay) {
  EVLOG_ASSIGN_OR_RETURN(auto connection, ReplicationConnection::Connect(o.conninfo));
  EVLOG_ASSIGN_OR_RETURN(SystemIdentity identity, connection->IdentifySystem());
  const std::string source_id = identity.system_id + "/" + identity.database;
  eventlog::LogOptions log_options{.create_if_missing = true};
  ApplyLockOptions(log_options, std::nullopt, kCommand);
  EVLOG_ASSIGN_OR_RETURN(auto log, eventlog::Log::Open(o.log_dir, log_options));
  PrintRecoveryNotes(kCommand, *log);
  if (o.snapshot) {
    EVLOG_ASSIGN_OR_RETURN(CreatedSlot created, connection->CreateLogicalSlot(o.slot, /*export_snapshot=*/true));
    PrintError(kCommand, fmt::format("created slot {}: until it is dropped (--drop-slot) the server keeps the WAL "
                                     "it has not confirmed",
                                     o.slot));
    EVLOG_ASSIGN_OR_RETURN(auto reader, AdminConnection::Connect(o.conninfo));
    EVLOG_ASSIGN_OR_RETURN(uint64_t rows, AppendSnapshot(*reader, created, PublicationOf(o), source_id, *log));
    PrintNote(kCommand, fmt::format("snapshot: {} rows as of {}", rows, FormatLsn(created.consistent_point)));
  }
  EVLOG_ASSIGN_OR_RETURN(Lsn in_log, LastCapturedLsn(*log, source_id));
  if (Status s = connection->StartLogical(o.slot, 0, {PublicationOf(o)}); !s.ok()) return ExplainStartError(s, o);
  LogicalStream stream(*connection);
  relay.emplace(stream, *log, signals, source_id, in_log);
  Status status = relay->Run(identity.wal_flush, o.follow);
  return status.ok() ? status : ExplainStartError(status, o);
}

}  // namespace

int RunCapturePostgres(const CapturePostgresOptions& o) {
  if (!IsSlotName(o.slot)) return Usage(fmt::format("--slot: not a slot name ([a-z0-9_], 1-63 characters): {}", o.slot));
  if (!IsPublicationName(PublicationOf(o)))
    return Usage(fmt::format("--publication: not a publication name ([A-Za-z0-9_], 1-63): {}", PublicationOf(o)));
  if (!o.tables.empty() && !o.create_slot) return Usage("-t is for --create-slot (it creates the publication)");
  if (o.drop_slot && (o.create_slot || o.follow || o.snapshot))
    return Usage("--drop-slot excludes --create-slot, --snapshot and -f");
  if (o.snapshot && !o.create_slot) return Usage("--snapshot needs --create-slot (a slot exports its snapshot when created)");
  const std::string where = DescribeConninfo(o.conninfo);
  if (o.create_slot || o.drop_slot) {
    auto admin = AdminConnection::Connect(o.conninfo);
    if (!admin) return Fail(admin.error(), fmt::format("could not connect to {}", where));
    if (o.drop_slot) {
      if (Status s = (*admin)->DropSlot(o.slot); !s.ok()) return Fail(s);
      PrintNote(kCommand, fmt::format("dropped slot {} on {}", o.slot, where));
      return kExitOk;
    }
    if (int code = CreateSlot(o, **admin); code != kExitOk) return code;
  }
  auto signals = SignalPipe::Install();
  if (!signals) return ReportFailure(kCommand, signals.error());
  std::optional<PostgresRelay> relay;
  Status status = Relay(o, **signals, relay);
  if (relay) PrintNote(kCommand, fmt::format("{} from {} slot {}", relay->Summary(), where, o.slot));
  if (status.ok()) return kExitOk;
  return Fail(status, fmt::format("source: {} slot {}", where, o.slot));
}

}  // namespace evlog::pg
