#include "capture/postgres/libpq_result.h"

#include <fmt/format.h>

#include "capture/postgres/replication_connection.h"

namespace evlog::pg {

eventlog::Status LibpqError(PGconn* conn, std::string_view what) {
  std::string message = PQerrorMessage(conn);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return eventlog::Status::IOError(fmt::format("PostgreSQL: {}: {}", what, message));
}

PGconn* ConnectWithSessionOptions(const std::string& conninfo, bool replication, eventlog::Status* error) {
  const char* keys[] = {"dbname", "fallback_application_name", "options", replication ? "replication" : nullptr,
                        nullptr};
  const char* values[] = {conninfo.c_str(), "evlog", ReplicationConnection::kSessionOptions, "database", nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (conn == nullptr) {
    *error = eventlog::Status::IOError("PostgreSQL: connect: out of memory");
  } else if (PQstatus(conn) != CONNECTION_OK) {
    *error = LibpqError(conn, "connect");
    PQfinish(conn);
    conn = nullptr;
  }
  return conn;
}

}  // namespace evlog::pg
