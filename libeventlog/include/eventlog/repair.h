// Repair (evlog verify --repair): what recovery does on open, plus index rebuilds, and,
// only when forced, moving damaged segments aside. Never deletes data.
#pragma once

#include <string>
#include <vector>

#include "eventlog/log.h"
#include "eventlog/status.h"

namespace eventlog {

struct RepairReport {
  std::vector<std::string> actions;  // one line per change made, for the user
};

// Cuts a torn tail and rebuilds every segment's index. Damage to committed data is left
// alone and returned as kCorruption, unless `force`: then each damaged segment (with its
// index) is moved to LOG/quarantine/, and if it was the newest, an empty segment named by
// the log's next offset takes its place, so offsets are never reused. The moved offsets
// become a gap that readers step over (format-spec §4.3).
Result<RepairReport> RepairLog(Log& log, bool force);

}  // namespace eventlog
