// §C5.3 `--snapshot`: every existing row of each captured table as an `r` event, seamed to
// the stream: in one read transaction of a second connection it takes the largest outbox id
// M, appends the outbox rows up to M, then the rows of the tables; only then are the rows up
// to M deleted. Changes committed meanwhile have ids above M and follow.
#pragma once

#include <string>

#include "capture/sqlite_relay.h"
#include "eventlog/status.h"

namespace evlog {

// `db` is a second connection to the source database, used only for the snapshot.
eventlog::Status RunSnapshot(SqliteDb& db, SqliteRelay& relay, eventlog::Log& log);

}  // namespace evlog
