// What every libpq connection of evlog needs (capture's replication and admin connections,
// apply's target): results freed by ownership, libpq's last error as a Status, a connect
// that fixes the session's settings, and a description of a conninfo for messages.
// libpq's messages never include the password, and neither does DescribeConninfo.
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

// Opens a connection from the caller's CONNINFO (a keyword string or a URI) with
// `session_options` as its `options` ("-c name=value ..."), replacing any the conninfo
// gives, and, if `replication`, replication=database. CONNINFO is expanded first, so the
// keywords after it win. On failure the connection is finished and *error says why; the
// caller owns a returned connection.
PGconn* ConnectWithSessionOptions(const std::string& conninfo, const char* session_options, bool replication,
                                  eventlog::Status* error);

// "host H port P dbname D" from a conninfo, for messages: never the password (a conninfo
// may hold one). Values the conninfo leaves out are libpq's defaults.
std::string DescribeConninfo(const std::string& conninfo);

}  // namespace evlog::pg
