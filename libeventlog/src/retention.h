// Retention planning (compaction.h): which closed segments lie below the retention point.
#pragma once

#include <cstdint>
#include <optional>

#include "eventlog/compaction.h"
#include "eventlog/consumer_groups.h"
#include "format_blocks.h"
#include "log_impl.h"

namespace eventlog {

// Decides, from the oldest segment on, which segments CompactLog removes; reads segment
// headers and frame headers only. `head` is the committed end, `slowest` the group with
// the lowest position (nullopt: none, or groups ignored), `now_ns` the time for the age
// limit. Fills `removed`, `kept`, the totals and `first_offset`; changes nothing.
Result<CompactionReport> PlanRetention(Log::Impl& log, const HeadRecord& head, const CompactionOptions& options,
                                       const std::optional<GroupInfo>& slowest, int64_t now_ns);

}  // namespace eventlog
