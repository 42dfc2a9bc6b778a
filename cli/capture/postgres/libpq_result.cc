#include "capture/postgres/libpq_result.h"

#include <fmt/format.h>

namespace evlog::pg {

eventlog::Status LibpqError(PGconn* conn, std::string_view what) {
  std::string message = PQerrorMessage(conn);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return eventlog::Status::IOError(fmt::format("PostgreSQL: {}: {}", what, message));
}

}  // namespace evlog::pg
