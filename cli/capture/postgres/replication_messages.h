// The messages of PostgreSQL's streaming replication protocol that travel inside CopyData
// once START_REPLICATION has begun (PostgreSQL documentation, "Streaming Replication
// Protocol"): from the server, XLogData ('w', carrying one pgoutput message) and the primary
// keepalive ('k'); from us, the standby status update ('r') that reports how far we have
// durably consumed. Pure: no I/O.
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "capture/postgres/pgoutput.h"
#include "eventlog/status.h"

namespace evlog::pg {

struct XLogData {
  Lsn wal_start = 0;  // where this message's WAL begins (0 for some in-transaction messages)
  Lsn wal_end = 0;    // the server's current end of WAL
  PgTimestamp server_time = 0;
  std::string_view payload;  // a view into the decoded bytes: valid as long as they are
};

struct PrimaryKeepalive {
  Lsn wal_end = 0;
  PgTimestamp server_time = 0;
  bool reply_requested = false;  // answer now, or the server drops us at wal_sender_timeout
};

using ServerCopyData = std::variant<XLogData, PrimaryKeepalive>;

// Decodes one CopyData payload from the server; kCorruption for anything else.
eventlog::Result<ServerCopyData> DecodeServerCopyData(std::string_view bytes);

struct StandbyStatus {
  // Each is the position just past the last byte so handled. `flushed` is what the server
  // may forget: a slot's confirmed_flush_lsn follows it, and WAL before it can be recycled.
  Lsn written = 0;
  Lsn flushed = 0;
  Lsn applied = 0;
  PgTimestamp client_time = 0;
  bool reply_requested = false;
};

// The CopyData payload of a standby status update.
std::string EncodeStandbyStatus(const StandbyStatus& status);

// Microseconds between the Unix epoch and PostgreSQL's (2000-01-01 UTC).
inline constexpr int64_t kPgEpochMicrosAfterUnix = 946684800LL * 1000000;

// "X/Y", the way PostgreSQL prints an LSN (hex high and low 32 bits), and back; ParseLsn
// gives kInvalidArgument for anything else.
std::string FormatLsn(Lsn lsn);
eventlog::Result<Lsn> ParseLsn(std::string_view text);

}  // namespace evlog::pg
