#include "capture/postgres/admin_connection.h"


#include <fmt/format.h>

#include "capture/postgres/replication_connection.h"
#include "postgres/libpq_connection.h"

namespace evlog::pg {

using eventlog::Result;
using eventlog::Status;

Status AdminConnection::Error(std::string_view what) const { return LibpqError(conn_, what); }

Result<std::unique_ptr<AdminConnection>> AdminConnection::Connect(const std::string& conninfo) {
  Status error;
  PGconn* conn = ConnectWithSessionOptions(conninfo, ReplicationConnection::kSessionOptions, /*replication=*/false, &error);
  if (conn == nullptr) return error;
  return std::unique_ptr<AdminConnection>(new AdminConnection(conn));
}

AdminConnection::~AdminConnection() { PQfinish(conn_); }

Result<bool> AdminConnection::Exists(const char* query, const std::string& name) {
  const char* params[] = {name.c_str()};
  PgResultPtr result(PQexecParams(conn_, query, 1, nullptr, params, nullptr, nullptr, 0));
  if (PQresultStatus(result.get()) != PGRES_TUPLES_OK) return Error(query);
  return PQntuples(result.get()) > 0;
}

Result<bool> AdminConnection::SlotExists(const std::string& slot) {
  return Exists("SELECT 1 FROM pg_replication_slots WHERE slot_name = $1", slot);
}

Result<bool> AdminConnection::PublicationExists(const std::string& publication) {
  return Exists("SELECT 1 FROM pg_publication WHERE pubname = $1", publication);
}

Status AdminConnection::CreateSlot(const std::string& slot) {
  const char* params[] = {slot.c_str()};
  PgResultPtr result(PQexecParams(conn_, "SELECT pg_create_logical_replication_slot($1, 'pgoutput')", 1, nullptr,
                                params, nullptr, nullptr, 0));
  if (PQresultStatus(result.get()) != PGRES_TUPLES_OK) return Error(fmt::format("create slot {}", slot));
  return Status::Ok();
}

Status AdminConnection::DropSlot(const std::string& slot) {
  const char* params[] = {slot.c_str()};
  PgResultPtr result(
      PQexecParams(conn_, "SELECT pg_drop_replication_slot($1)", 1, nullptr, params, nullptr, nullptr, 0));
  if (PQresultStatus(result.get()) == PGRES_TUPLES_OK) return Status::Ok();
  Status error = Error(fmt::format("drop slot {}", slot));
  if (error.message().find("is active for PID") != std::string::npos)
    return Status::Busy(error.message() + " (stop the relay streaming from it first)");
  return error;
}

Status AdminConnection::CreatePublication(const std::string& publication, const std::vector<std::string>& tables) {
  std::string sql = "CREATE PUBLICATION " + publication + " FOR TABLE ";
  for (size_t i = 0; i < tables.size(); ++i) {
    if (i > 0) sql += ", ";
    // Each part quoted as an identifier: a name from the command line is never SQL.
    const std::string& table = tables[i];
    const size_t dot = table.find('.');
    std::vector<std::string> parts =
        dot == std::string::npos ? std::vector<std::string>{table}
                                 : std::vector<std::string>{table.substr(0, dot), table.substr(dot + 1)};
    for (size_t p = 0; p < parts.size(); ++p) {
      EVLOG_ASSIGN_OR_RETURN(std::string quoted, QuoteIdentifier(parts[p]));
      sql += (p > 0 ? "." : "") + quoted;
    }
  }
  PgResultPtr result(PQexec(conn_, sql.c_str()));
  if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) return Error(fmt::format("create publication {}", publication));
  return Status::Ok();
}

Result<PgResultPtr> AdminConnection::Exec(const std::string& sql, const std::vector<std::string>& params,
                                          ExecStatusType expected, std::string_view what) {
  std::vector<const char*> values;
  for (const std::string& param : params) values.push_back(param.c_str());
  PgResultPtr result(PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                                  nullptr, nullptr, 0));
  if (PQresultStatus(result.get()) != expected) return Error(what);
  return result;
}

Result<std::string> AdminConnection::QuoteIdentifier(const std::string& name) {
  char* quoted = PQescapeIdentifier(conn_, name.c_str(), name.size());
  if (quoted == nullptr) return Error("quote an identifier");
  std::string out = quoted;
  PQfreemem(quoted);
  return out;
}

}  // namespace evlog::pg
