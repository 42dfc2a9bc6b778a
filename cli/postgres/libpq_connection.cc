#include "postgres/libpq_connection.h"

#include <cstdlib>
#include <string_view>

#include <fmt/format.h>

namespace evlog::pg {

eventlog::Status LibpqError(PGconn* conn, std::string_view what) {
  std::string message = PQerrorMessage(conn);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return eventlog::Status::IOError(fmt::format("PostgreSQL: {}: {}", what, message));
}

namespace {

// The `options` the user gave: the conninfo's, else PGOPTIONS (libpq's own precedence).
std::string UserSessionOptions(const std::string& conninfo) {
  std::string given;
  char* error = nullptr;
  if (PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error)) {
    for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
      if (std::string_view(o->keyword) == "options" && o->val != nullptr) given = o->val;
    }
    PQconninfoFree(options);
  } else {
    PQfreemem(error);  // the connection attempt reports it
  }
  if (given.empty()) {
    if (const char* env = std::getenv("PGOPTIONS")) given = env;
  }
  return given;
}

}  // namespace

PGconn* ConnectWithSessionOptions(const std::string& conninfo, const char* session_options, bool replication,
                                  eventlog::Status* error) {
  // The user's options first (a search_path, say), then evlog's, which win for a setting
  // both give: passing evlog's alone, as `options`, dropped the user's silently.
  std::string merged = UserSessionOptions(conninfo);
  merged += merged.empty() ? session_options : std::string(" ") + session_options;
  const char* keys[] = {"dbname", "fallback_application_name", "options", replication ? "replication" : nullptr,
                        nullptr};
  const char* values[] = {conninfo.c_str(), "evlog", merged.c_str(), "database", nullptr};
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

std::string DescribeConninfo(const std::string& conninfo) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
  if (options == nullptr) {
    PQfreemem(error);
    // libpq reads a string with neither `=` nor a URI scheme as a database name.
    if (conninfo.find('=') == std::string::npos) return fmt::format("dbname {}", conninfo);
    return "(unparsable conninfo)";
  }
  std::string host, port, dbname;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    const std::string_view keyword = o->keyword;
    const std::string value = o->val != nullptr ? o->val : "";
    if (keyword == "host" || (keyword == "hostaddr" && host.empty())) host = value;
    if (keyword == "port") port = value;
    if (keyword == "dbname") dbname = value;
  }
  PQconninfoFree(options);
  return fmt::format("host {} port {} dbname {}", host.empty() ? "(default)" : host,
                     port.empty() ? "(default)" : port, dbname.empty() ? "(default)" : dbname);
}

}  // namespace evlog::pg
