// A normal (non-replication) libpq connection for what the replication protocol cannot do:
// look up and create publications, look up, create and drop slots by SQL, read a snapshot.
// It uses the replication connection's session options, so values read here print alike.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "postgres/libpq_connection.h"
#include "eventlog/status.h"

typedef struct pg_conn PGconn;

namespace evlog::pg {

class AdminConnection {
 public:
  static eventlog::Result<std::unique_ptr<AdminConnection>> Connect(const std::string& conninfo);
  ~AdminConnection();
  AdminConnection(const AdminConnection&) = delete;
  AdminConnection& operator=(const AdminConnection&) = delete;

  eventlog::Result<bool> SlotExists(const std::string& slot);
  // A logical slot with the pgoutput plugin.
  eventlog::Status CreateSlot(const std::string& slot);
  // kBusy when a relay is streaming from it.
  eventlog::Status DropSlot(const std::string& slot);

  eventlog::Result<bool> PublicationExists(const std::string& publication);
  // CREATE PUBLICATION ... FOR TABLE each of `tables` ("table" or "schema.table").
  eventlog::Status CreatePublication(const std::string& publication, const std::vector<std::string>& tables);

  // Runs `sql` with text parameters; kIOError naming `what` unless the result has `expected`.
  eventlog::Result<PgResultPtr> Exec(const std::string& sql, const std::vector<std::string>& params,
                                     ExecStatusType expected, std::string_view what);
  // `name` quoted as an SQL identifier.
  eventlog::Result<std::string> QuoteIdentifier(const std::string& name);

 private:
  explicit AdminConnection(PGconn* conn) : conn_(conn) {}
  eventlog::Status Error(std::string_view what) const;
  eventlog::Result<bool> Exists(const char* query, const std::string& name);

  PGconn* conn_;
};

}  // namespace evlog::pg
