// What both libpq connections (replication and admin) need: results freed by ownership, and
// libpq's last error as a Status. libpq's messages never include the password.
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <string>
#include <string_view>

#include "eventlog/status.h"

namespace evlog::pg {

struct PgResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using PgResultPtr = std::unique_ptr<PGresult, PgResultDeleter>;

// kIOError "PostgreSQL: WHAT: libpq's message".
eventlog::Status LibpqError(PGconn* conn, std::string_view what);

// Opens a connection from the caller's CONNINFO with evlog's session settings
// (ReplicationConnection::kSessionOptions) and, if `replication`, replication=database.
// CONNINFO is expanded first, so the keywords after it win. On failure the connection is
// finished and *error says why; the caller owns a returned connection.
PGconn* ConnectWithSessionOptions(const std::string& conninfo, bool replication, eventlog::Status* error);

}  // namespace evlog::pg
