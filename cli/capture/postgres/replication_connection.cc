#include "capture/postgres/replication_connection.h"

#include <poll.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include <fmt/format.h>

#include "postgres/libpq_connection.h"
#include "capture/postgres/replication_messages.h"

namespace evlog::pg {

using eventlog::Result;
using eventlog::Status;

namespace {

bool AllOf(std::string_view name, bool upper_ok) {
  if (name.empty() || name.size() > 63) return false;  // NAMEDATALEN - 1
  return std::all_of(name.begin(), name.end(), [upper_ok](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || (upper_ok && c >= 'A' && c <= 'Z');
  });
}

}  // namespace

bool IsSlotName(std::string_view name) { return AllOf(name, false); }
bool IsPublicationName(std::string_view name) { return AllOf(name, true); }

namespace {

Status CheckSlotName(const std::string& slot) {
  if (IsSlotName(slot)) return Status::Ok();
  return Status::InvalidArgument(fmt::format("not a slot name ([a-z0-9_], 1-63): {}", slot));
}

}  // namespace

const char ReplicationConnection::kSessionOptions[] =
    "-c TimeZone=UTC -c DateStyle=ISO -c extra_float_digits=3 -c bytea_output=hex -c IntervalStyle=postgres "
    "-c lc_monetary=C";

Status ReplicationConnection::Error(std::string_view what) const { return LibpqError(conn_, what); }

Result<std::unique_ptr<ReplicationConnection>> ReplicationConnection::Connect(const std::string& conninfo) {
  // dbname is expanded as a connection string first; the keywords after it override it, so
  // the caller's string cannot turn replication off.
  // The session settings fix the text pgoutput sends for the types whose output depends on
  // them (format-spec/change-events.md §C7.2): timestamptz in UTC and ISO form, floats as
  // the shortest exact decimal, bytea as hex.
  Status error;
  PGconn* conn = ConnectWithSessionOptions(conninfo, kSessionOptions, /*replication=*/true, &error);
  if (conn == nullptr) return error;
  return std::unique_ptr<ReplicationConnection>(new ReplicationConnection(conn));
}

ReplicationConnection::~ReplicationConnection() { PQfinish(conn_); }

Result<SystemIdentity> ReplicationConnection::IdentifySystem() {
  PgResultPtr result(PQexec(conn_, "IDENTIFY_SYSTEM"));
  if (PQresultStatus(result.get()) != PGRES_TUPLES_OK) return Error("IDENTIFY_SYSTEM");
  if (PQntuples(result.get()) != 1 || PQnfields(result.get()) < 4)
    return Status::IOError("PostgreSQL: IDENTIFY_SYSTEM: unexpected result shape");
  SystemIdentity identity;
  identity.system_id = PQgetvalue(result.get(), 0, 0);
  identity.timeline = static_cast<uint32_t>(std::strtoul(PQgetvalue(result.get(), 0, 1), nullptr, 10));
  EVLOG_ASSIGN_OR_RETURN(identity.wal_flush, ParseLsn(PQgetvalue(result.get(), 0, 2)));
  identity.database = PQgetvalue(result.get(), 0, 3);
  return identity;
}

Result<CreatedSlot> ReplicationConnection::CreateLogicalSlot(const std::string& slot, bool export_snapshot) {
  EVLOG_RETURN_IF_ERROR(CheckSlotName(slot));
  const std::string command = fmt::format("CREATE_REPLICATION_SLOT {} LOGICAL pgoutput {}", slot,
                                          export_snapshot ? "EXPORT_SNAPSHOT" : "NOEXPORT_SNAPSHOT");
  PgResultPtr result(PQexec(conn_, command.c_str()));
  if (PQresultStatus(result.get()) != PGRES_TUPLES_OK) return Error(fmt::format("create slot {}", slot));
  if (PQntuples(result.get()) != 1 || PQnfields(result.get()) < 4)
    return Status::IOError("PostgreSQL: CREATE_REPLICATION_SLOT: unexpected result shape");
  CreatedSlot created;
  created.name = PQgetvalue(result.get(), 0, 0);
  EVLOG_ASSIGN_OR_RETURN(created.consistent_point, ParseLsn(PQgetvalue(result.get(), 0, 1)));
  if (!PQgetisnull(result.get(), 0, 2)) created.snapshot_name = PQgetvalue(result.get(), 0, 2);
  return created;
}

Status ReplicationConnection::DropSlot(const std::string& slot) {
  EVLOG_RETURN_IF_ERROR(CheckSlotName(slot));
  PgResultPtr result(PQexec(conn_, fmt::format("DROP_REPLICATION_SLOT {}", slot).c_str()));
  if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) return Error(fmt::format("drop slot {}", slot));
  return Status::Ok();
}

Status ReplicationConnection::StartLogical(const std::string& slot, Lsn start,
                                           const std::vector<std::string>& publications) {
  EVLOG_RETURN_IF_ERROR(CheckSlotName(slot));
  if (publications.empty()) return Status::InvalidArgument("START_REPLICATION needs at least one publication");
  std::string names;
  for (const std::string& name : publications) {
    if (!IsPublicationName(name))
      return Status::InvalidArgument(fmt::format("not a publication name ([A-Za-z0-9_], 1-63): {}", name));
    // Quoted: the server splits this list like identifiers and would fold case otherwise.
    names += fmt::format("{}\"{}\"", names.empty() ? "" : ",", name);
  }
  const std::string command =
      fmt::format("START_REPLICATION SLOT {} LOGICAL {} (proto_version '1', publication_names '{}')", slot,
                  FormatLsn(start), names);
  PgResultPtr result(PQexec(conn_, command.c_str()));
  if (PQresultStatus(result.get()) != PGRES_COPY_BOTH) return Error(fmt::format("start replication on slot {}", slot));
  return Status::Ok();
}

Result<std::optional<std::string>> ReplicationConnection::ReadCopyData(int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    char* buffer = nullptr;
    const int length = PQgetCopyData(conn_, &buffer, /*async=*/1);
    if (length > 0) {
      std::string payload(buffer, static_cast<size_t>(length));
      PQfreemem(buffer);
      return std::optional<std::string>(std::move(payload));
    }
    if (length == -1) {
      // The server ended the copy; its final result says why.
      PgResultPtr result(PQgetResult(conn_));
      if (result != nullptr && PQresultStatus(result.get()) == PGRES_FATAL_ERROR) return Error("replication stream");
      return Status::IOError("PostgreSQL: the server ended the replication stream");
    }
    if (length == -2) return Error("replication stream");
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::optional<std::string>();
    pollfd fd{PQsocket(conn_), POLLIN, 0};
    if (poll(&fd, 1, static_cast<int>(left.count())) < 0 && errno != EINTR)
      return Status::IOError(fmt::format("PostgreSQL: poll: errno {}", errno));
    if (PQconsumeInput(conn_) == 0) return Error("replication stream");
  }
}

Status ReplicationConnection::SendCopyData(std::string_view payload) {
  if (PQputCopyData(conn_, payload.data(), static_cast<int>(payload.size())) != 1 || PQflush(conn_) != 0)
    return Error("send standby status");
  return Status::Ok();
}

Status ReplicationConnection::EndCopy(int timeout_ms) {
  if (PQputCopyEnd(conn_, nullptr) != 1 || PQflush(conn_) != 0) return Error("end replication stream");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    char* buffer = nullptr;
    const int length = PQgetCopyData(conn_, &buffer, /*async=*/1);
    if (length > 0) {
      PQfreemem(buffer);
      continue;
    }
    if (length == -1) break;  // the server's CopyDone
    if (length == -2) return Error("end replication stream");
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return Status::Ok();  // closing then is what happened before this existed
    pollfd fd{PQsocket(conn_), POLLIN, 0};
    if (poll(&fd, 1, static_cast<int>(left.count())) < 0 && errno != EINTR)
      return Status::IOError(fmt::format("PostgreSQL: poll: errno {}", errno));
    if (PQconsumeInput(conn_) == 0) return Error("end replication stream");
  }
  while (PgResultPtr result{PQgetResult(conn_)}) {
    if (PQresultStatus(result.get()) == PGRES_FATAL_ERROR) return Error("end replication stream");
  }
  return Status::Ok();
}

}  // namespace evlog::pg
