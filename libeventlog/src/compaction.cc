// CompactLog: plans retention (retention.cc) and removes the segments below the retention
// point under the append lock; then, if asked, compacts keys (key_compaction.cc).
//
// Crash safety: segments are removed strictly oldest first, each `.seg` before its `.idx`,
// and the directory is synced after each segment. Whatever prefix of these removals
// survives a crash, the remaining segments are a contiguous suffix of the log: no hole,
// nothing removed that the plan kept. A crash between a `.seg` and its `.idx` leaves an
// index without a segment, which readers ignore (§2) and the next compaction deletes.
#include "eventlog/compaction.h"

#include <chrono>

#include <fmt/format.h>

#include "eventlog/consumer_groups.h"
#include "format.h"
#include "head.h"
#include "key_compaction.h"
#include "log_impl.h"
#include "retention.h"
#include "segment.h"

namespace eventlog {
namespace {

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The group furthest behind. Read under the log's lock, as ConsumerGroups::Join() stores a
// new group under it: read before, a group created in between (at the first offset) would
// lose the segments removed here. A position that moves forward meanwhile (an ack) only
// makes this reading conservative.
// The group furthest behind. A dry run reads the store without opening it for writing (it
// changes nothing, and needs no write access); a compaction reads it through LMDB under the
// log's lock, where a new group is stored too (ConsumerGroups::Join).
Result<std::optional<GroupInfo>> SlowestGroup(const Log& log, bool dry_run) {
  EVLOG_ASSIGN_OR_RETURN(bool has_groups, log.impl()->fs()->Exists(log.impl()->Path("groups")));
  if (!has_groups) return std::optional<GroupInfo>();  // never used; opening would create it
  std::vector<GroupInfo> all;
  if (dry_run) {
    EVLOG_ASSIGN_OR_RETURN(all, ConsumerGroups::ListIfPresent(log));
  } else {
    EVLOG_ASSIGN_OR_RETURN(auto groups, ConsumerGroups::Open(log));
    EVLOG_ASSIGN_OR_RETURN(all, groups->List());
  }
  std::optional<GroupInfo> slowest;
  for (GroupInfo& g : all) {
    if (!slowest || g.position < slowest->position) slowest = std::move(g);
  }
  return slowest;
}

Status RemoveIfPresent(FileSystem* fs, const std::string& path) {
  EVLOG_ASSIGN_OR_RETURN(bool exists, fs->Exists(path));
  return exists ? fs->Remove(path) : Status::Ok();
}

// Indexes whose segment is older than the oldest segment: left by a crash between the
// removal of a segment and of its index.
Status RemoveOrphanIndexes(Log::Impl& log, uint64_t first_segment) {
  EVLOG_ASSIGN_OR_RETURN(std::vector<std::string> names, log.fs()->ListDir(log.dir()));
  const std::string suffix(format::kIndexSuffix);
  for (const std::string& name : names) {
    if (name.size() <= suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
    uint64_t base;
    const std::string stem = name.substr(0, name.size() - suffix.size());
    if (ParseSegmentFileName(stem + std::string(format::kSegmentSuffix), &base) && base < first_segment) {
      EVLOG_RETURN_IF_ERROR(RemoveIfPresent(log.fs(), log.Path(name)));
    }
  }
  return Status::Ok();
}

Status RemoveSegments(Log::Impl& log, const CompactionReport& report) {
  EVLOG_RETURN_IF_ERROR(RemoveOrphanIndexes(log, report.removed.empty() ? report.first_offset
                                                                        : report.removed.front().base_offset));
  for (const CompactedSegment& s : report.removed) {
    EVLOG_RETURN_IF_ERROR(log.fs()->Remove(log.Path(SegmentFileName(s.base_offset))));
    EVLOG_RETURN_IF_ERROR(RemoveIfPresent(log.fs(), log.Path(IndexFileName(s.base_offset))));
    // One sync per segment: the removals become durable in order on any file system.
    EVLOG_RETURN_IF_ERROR(log.fs()->SyncDir(log.dir()));
  }
  return Status::Ok();
}

bool HasRetentionLimit(const CompactionOptions& o) { return o.retain_bytes || o.retain_age_ns || o.before_offset; }

// Retention (if a limit is given), then key compaction of what remains (if asked).
Result<CompactionReport> Compact(Log::Impl& impl, const HeadRecord& head, const CompactionOptions& options,
                                 const std::optional<GroupInfo>& slowest, int64_t now_ns) {
  CompactionReport report;
  report.dry_run = options.dry_run;
  if (HasRetentionLimit(options)) {
    EVLOG_ASSIGN_OR_RETURN(report, PlanRetention(impl, head, options, slowest, now_ns));
    if (!options.dry_run) EVLOG_RETURN_IF_ERROR(RemoveSegments(impl, report));
  }
  if (options.keep_latest_per_key) {
    const uint64_t first_segment = report.removed.empty() ? 0 : report.removed.back().base_offset + 1;
    EVLOG_ASSIGN_OR_RETURN(report.keys,
                           CompactKeys(impl, head, options, slowest, now_ns, first_segment, !options.dry_run));
  }
  return report;
}

}  // namespace

Result<CompactionReport> CompactLog(Log& log, const CompactionOptions& options) {
  if (!HasRetentionLimit(options) && !options.keep_latest_per_key) {
    return Status::InvalidArgument(
        "no retention limit given: set retain_bytes, retain_age_ns or before_offset, or keep_latest_per_key");
  }
  if (options.tombstone_retention_ns < 0) return Status::InvalidArgument("tombstone_retention_ns is negative");
  std::optional<GroupInfo> slowest;
  const int64_t now_ns = options.now_ns != 0 ? options.now_ns : NowNs();
  Log::Impl& impl = *log.impl();
  if (options.dry_run) {  // no lock: a dry run must not run recovery or wait for appenders
    if (!options.ignore_groups) {
      EVLOG_ASSIGN_OR_RETURN(slowest, SlowestGroup(log, /*dry_run=*/true));
    }
    EVLOG_ASSIGN_OR_RETURN(HeadRecord head, impl.CommittedHead());
    return Compact(impl, head, options, slowest, now_ns);
  }
  std::optional<CompactionReport> report;
  EVLOG_RETURN_IF_ERROR(impl.RunLocked([&](const HeadRecord& head) -> Status {
    if (!options.ignore_groups) {
      EVLOG_ASSIGN_OR_RETURN(slowest, SlowestGroup(log, /*dry_run=*/false));
    }
    // Compaction rewrites and removes segments by the committed end just adopted: if HEAD does
    // not read back as that end, readers would see another one, so refuse.
    EVLOG_RETURN_IF_ERROR(CheckHeadReadsBack(impl.fs(), impl.Path(format::kHeadFileName), impl.meta(), head));
    EVLOG_ASSIGN_OR_RETURN(report, Compact(impl, head, options, slowest, now_ns));
    return Status::Ok();
  }));
  return std::move(*report);
}

}  // namespace eventlog
