// `capture sqlite DB --install / --uninstall`: the outbox, its triggers and evlog's own
// tables in the source database (format-spec/change-events.md §C2), each call one
// transaction of that database.
#pragma once

#include <string>
#include <vector>

#include "sqlite/sqlite_handle.h"
#include "eventlog/status.h"

namespace evlog {

// Creates evlog's tables if missing and (re)creates the triggers and `_evlog_capture` row of
// each table from its current schema. Idempotent; never drops outbox rows. Returns one line
// per table saying what was done.
eventlog::Result<std::vector<std::string>> InstallCapture(SqliteDb& db, const std::vector<std::string>& tables);

// Drops the triggers of `tables` (every captured table if empty) and forgets them; drops
// evlog's tables once nothing is captured and the outbox is empty. Returns what was done
// and what is left.
eventlog::Result<std::vector<std::string>> UninstallCapture(SqliteDb& db, const std::vector<std::string>& tables);

}  // namespace evlog
