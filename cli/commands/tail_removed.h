// Telling a reader of an audit trail that events went missing under it.
#pragma once

#include <cstdint>

#include "eventlog/log.h"

namespace evlog {

// A reader jumped from `expected` to `offset`. Key compaction leaves such gaps on purpose;
// but if the log now starts after `expected`, retention (`compact`) removed events while
// the reader was behind, and `tail` says so on stderr rather than skip them silently.
void WarnIfRemoved(const eventlog::Log& log, uint64_t expected, uint64_t offset);

}  // namespace evlog
