// A libpq connection in logical replication mode (`replication=database`): the replication
// commands evlog needs, and the CopyBoth stream START_REPLICATION opens. This is the only
// place that talks to libpq for the replication side.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "capture/postgres/pgoutput.h"
#include "eventlog/status.h"

typedef struct pg_conn PGconn;

namespace evlog::pg {

struct SystemIdentity {
  std::string system_id;  // the cluster's unique id: a slot belongs to one cluster
  uint32_t timeline = 0;
  Lsn wal_flush = 0;      // the server's WAL flush position now
  std::string database;
};

struct CreatedSlot {
  std::string name;
  Lsn consistent_point = 0;   // the slot streams transactions that commit after this
  std::string snapshot_name;  // empty unless exported; valid until the next command here
};

// Whether `name` is safe to splice into a replication command: slot names allow only
// [a-z0-9_] (server rule); publication names here are held to [A-Za-z0-9_] likewise.
bool IsSlotName(std::string_view name);
bool IsPublicationName(std::string_view name);

class ReplicationConnection {
 public:
  // Connects with `conninfo` (a libpq keyword string or URI) in logical replication mode,
  // with kSessionOptions after any `options` the conninfo or PGOPTIONS gives (evlog's win).
  // Errors carry libpq's message, which never includes the password.
  static eventlog::Result<std::unique_ptr<ReplicationConnection>> Connect(const std::string& conninfo);
  ~ReplicationConnection();
  ReplicationConnection(const ReplicationConnection&) = delete;
  ReplicationConnection& operator=(const ReplicationConnection&) = delete;
  static const char kSessionOptions[];

  eventlog::Result<SystemIdentity> IdentifySystem();
  // CREATE_REPLICATION_SLOT name LOGICAL pgoutput; with `export_snapshot`, the snapshot of
  // the consistent point is exported for a `SET TRANSACTION SNAPSHOT` elsewhere.
  eventlog::Result<CreatedSlot> CreateLogicalSlot(const std::string& slot, bool export_snapshot);
  eventlog::Status DropSlot(const std::string& slot);
  // START_REPLICATION SLOT slot LOGICAL start (pgoutput protocol version 1). `start` 0 means
  // the slot's confirmed flush position. After this, only the CopyData calls below are valid.
  eventlog::Status StartLogical(const std::string& slot, Lsn start, const std::vector<std::string>& publications);

  // The next CopyData payload from the server, waiting at most `timeout_ms`; nullopt when
  // none came in time. kIOError when the connection fails or the server ends the stream.
  eventlog::Result<std::optional<std::string>> ReadCopyData(int timeout_ms);
  eventlog::Status SendCopyData(std::string_view payload);
  // Ends the stream as the protocol asks: CopyDone, then the server's own CopyDone and
  // command result (what the server still sends meanwhile is dropped). The server reads
  // every message sent before the CopyDone first, so a final standby status is taken;
  // closing the connection instead can lose it (the walsender, still writing, fails on the
  // closed socket and exits before reading it). After `timeout_ms` it gives up waiting and
  // returns Ok: the server may then miss the last status, and a later run receives those
  // transactions again and skips them by the log's LSN (§C7).
  eventlog::Status EndCopy(int timeout_ms);

 private:
  explicit ReplicationConnection(PGconn* conn) : conn_(conn) {}
  eventlog::Status Error(std::string_view what) const;

  PGconn* conn_;
};

}  // namespace evlog::pg
