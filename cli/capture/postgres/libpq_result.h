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

}  // namespace evlog::pg
