// Key compaction (format-spec §13.2): rewrite closed segments to keep the newest event per key.
#pragma once

#include <cstdint>
#include <optional>

#include "eventlog/compaction.h"
#include "eventlog/consumer_groups.h"
#include "format_blocks.h"
#include "log_impl.h"

namespace eventlog {

// Rewrites (with `write`) or plans (without) the closed segments at or above `first_segment`
// and below HEAD's segment: survivors are unkeyed events and the newest event of each key,
// less tombstones older than `now_ns` minus options.tombstone_retention_ns that `slowest`
// (the group furthest behind, if groups are respected) has acked. With `write` the caller
// holds the append lock.
Result<KeyCompactionReport> CompactKeys(Log::Impl& log, const HeadRecord& head, const CompactionOptions& options,
                                        const std::optional<GroupInfo>& slowest, int64_t now_ns,
                                        uint64_t first_segment, bool write);

}  // namespace eventlog
