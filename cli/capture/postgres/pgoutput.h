// The messages of PostgreSQL's built-in `pgoutput` logical decoding plugin, protocol version 1
// (PostgreSQL documentation, "Logical Replication Message Formats"), decoded from the bytes of
// one XLogData payload. Pure: no I/O, no libpq. Every count and length is checked against the
// bytes actually present before it is used, so hostile input gives kCorruption, never a crash
// or an allocation larger than the input.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "eventlog/status.h"

namespace evlog::pg {

// A WAL position (XLogRecPtr).
using Lsn = uint64_t;
// Microseconds since 2000-01-01 00:00:00 UTC (TimestampTz).
using PgTimestamp = int64_t;

struct PgBegin {
  Lsn final_lsn = 0;  // the commit record's LSN, the same as the Commit's commit_lsn
  PgTimestamp commit_time = 0;
  uint32_t xid = 0;
};

struct PgCommit {
  uint8_t flags = 0;  // unused by the server (0)
  Lsn commit_lsn = 0;
  Lsn end_lsn = 0;  // just past the commit record: where a restart resumes after this transaction
  PgTimestamp commit_time = 0;
};

// Replicated from another origin; may appear several times in a transaction.
struct PgOrigin {
  Lsn origin_commit_lsn = 0;
  std::string name;
};

struct PgColumn {
  bool key = false;  // part of the replica identity (flag bit 1)
  std::string name;
  uint32_t type_oid = 0;
  int32_t type_modifier = -1;
};

// Sent before the first change to a relation in a session and after its definition changes:
// rows that follow refer to it by id and list values in its column order.
struct PgRelation {
  uint32_t id = 0;
  std::string schema;  // empty for pg_catalog
  std::string name;
  char replica_identity = 'd';  // pg_class.relreplident: d(efault), n(othing), f(ull), i(ndex)
  std::vector<PgColumn> columns;
};

// Sent before a relation whose columns use a non-built-in type.
struct PgType {
  uint32_t oid = 0;
  std::string schema;
  std::string name;
};

struct PgValue {
  enum class Kind : char { kNull = 'n', kUnchangedToast = 'u', kText = 't' };
  Kind kind = Kind::kNull;
  std::string text;  // the type's text output, for kText only
};
using PgTuple = std::vector<PgValue>;

// What an Update or Delete says about the row before the change: nothing (an Update that
// kept the key under the default identity), the key columns only, or the whole row
// (REPLICA IDENTITY FULL).
enum class PgOldRow : char { kNone = 0, kKey = 'K', kFull = 'O' };

struct PgInsert {
  uint32_t relation_id = 0;
  PgTuple row;
};

struct PgUpdate {
  uint32_t relation_id = 0;
  PgOldRow old_kind = PgOldRow::kNone;
  PgTuple old_row;  // empty when old_kind is kNone
  PgTuple new_row;
};

struct PgDelete {
  uint32_t relation_id = 0;
  PgOldRow old_kind = PgOldRow::kKey;  // never kNone
  PgTuple old_row;
};

struct PgTruncate {
  static constexpr uint8_t kCascade = 1;
  static constexpr uint8_t kRestartIdentity = 2;
  uint8_t options = 0;
  std::vector<uint32_t> relation_ids;
};

using PgoutputMessage =
    std::variant<PgBegin, PgCommit, PgOrigin, PgRelation, PgType, PgInsert, PgUpdate, PgDelete, PgTruncate>;

// Decodes one whole message; kCorruption naming the message, field and byte offset for
// truncated, oversized or unknown input (including the messages of protocol versions above
// 1, which a version-1 stream never carries).
eventlog::Result<PgoutputMessage> DecodePgoutput(std::string_view bytes);

}  // namespace evlog::pg
