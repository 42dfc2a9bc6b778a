// §C7.4, on start: the commit LSN of the last transaction of this source the log holds, so
// that transactions the slot sends again (appended, but killed before the flush report
// reached the server) are not appended twice.
#pragma once

#include <string>

#include "capture/postgres/pgoutput.h"
#include "eventlog/log.h"
#include "eventlog/status.h"

namespace evlog::pg {

// The evlog.lsn of the last event whose evlog.source_id is `source_id`, 0 if none; for a
// snapshot row (evlog.op r), whose lsn is the consistent point, the LSN just below it. Reads
// backwards from the log's end in growing windows, so a relay that restarts on a log it
// feeds reads only its tail. kCorruption for such an event whose evlog.lsn is no LSN.
eventlog::Result<Lsn> LastCapturedLsn(const eventlog::Log& log, const std::string& source_id);

// Whether the log holds transaction `xid` committed at `commit_lsn` of `source_id`: an event
// with that evlog.lsn and evlog.xid. Reads backwards from the log's end until the source's
// LSNs fall below commit_lsn (they increase through the log). kCorruption as above.
eventlog::Result<bool> HoldsTransaction(const eventlog::Log& log, const std::string& source_id, Lsn commit_lsn,
                                        uint32_t xid);

}  // namespace evlog::pg
