// Key compaction. Two passes over the log under the append lock:
//
//  1. Read every committed event (all segments, the active one up to HEAD's committed end)
//     and remember, per key, the offset of its newest event. One map entry per distinct key.
//  2. For each closed segment, oldest first, decide the survivors: unkeyed events and the
//     newest event of each key, except a tombstone (keyed, empty payload) older than the
//     tombstone retention that every consumer group has acked. A segment that loses nothing is not touched. Otherwise it is
//     written anew under its own name (format-spec §13.2):
//
//       header (same base offset and log id; chain_out = the original outgoing checksum)
//       survivors at their original offsets and timestamps, in frames cut where the
//       original frames began (survivor_frames.h: so that no record grows), the first
//       chaining to the original first frame's prev_checksum
//
//     via NAME.tmp, fdatasync, rename over NAME, fsync of the directory; then its index is
//     rebuilt. A reader that has the old file open keeps reading the old inode. A segment
//     that loses every event is deleted if no older segment remains (the log then starts
//     later, as after retention); otherwise it is kept with no frames, so that its chain_out
//     still links its neighbours and `verify` can tell it from a lost segment. A segment
//     whose survivors would still not fit in segment_bytes stays as it was, and is reported
//     as kept: one such segment must not stop the compaction of the others.
//
// Crash safety: each segment is replaced atomically, and compaction removes only events that
// a newer event (or nothing, for an expired tombstone) supersedes; a partly compacted log is
// therefore valid and reads the same newest value for every key.
#include "key_compaction.h"

#include <algorithm>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <fmt/format.h>

#include "format.h"
#include "frame.h"
#include "reader_impl.h"
#include "segment.h"
#include "segment_index.h"
#include "segment_scan.h"
#include "survivor_frames.h"

namespace eventlog {
namespace {

namespace f = format::frame;

using NewestByKey = std::unordered_map<std::string, uint64_t>;

Result<NewestByKey> ReadNewestOffsets(Log::Impl& log) {
  NewestByKey newest;
  EVLOG_ASSIGN_OR_RETURN(std::unique_ptr<Reader> reader, NewReaderImpl(&log));
  EVLOG_RETURN_IF_ERROR(reader->SeekToOffset(0));
  Event e;
  while (true) {
    EVLOG_ASSIGN_OR_RETURN(bool more, reader->Next(&e));
    if (!more) break;
    if (e.key) newest.insert_or_assign(std::string(*e.key), e.offset);
  }
  return newest;
}

// The survivors of one segment, already encoded as frames.
struct SegmentPlan {
  SegmentHeader header;
  uint64_t first_prev_checksum = 0;  // of the original first frame
  uint64_t last_checksum = 0;        // of the original last frame
  bool has_frames = false;
  uint64_t tombstones_kept_for_groups = 0;
  // The keys of the events this plan removes: if the segment is then kept as it was, those
  // events stay, and a later expired tombstone of one of these keys must stay too.
  std::unordered_set<std::string> removed_keys;
  SurvivorFrames survivors;
  // Why the survivors cannot be encoded at all (survivor_frames.h); the segment then stays.
  std::optional<std::string> unencodable;
  RewrittenSegment stats;
};

Status CorruptSegment(uint64_t base, uint64_t pos, const std::string& why) {
  return Status::Corruption(fmt::format("segment {}: {} at byte {} in a closed segment; key compaction stops before "
                                        "it. Run `evlog verify`",
                                        SegmentFileName(base), why, pos));
}

// When a tombstone that is the newest event of its key may go (format-spec §13.2).
struct TombstonePolicy {
  int64_t expired_before;  // older than the tombstone retention
  // The lowest group position: a group there has not processed the tombstone yet and would
  // never learn of the delete. UINT64_MAX when groups are not consulted or there are none.
  uint64_t unacked_from;
  // Keys with a superseded value still stored in an earlier segment that had to be kept as
  // it was (it would not fit rewritten): their tombstone is what hides that value, so it
  // stays however old, or the deleted key would come back with its old value.
  const std::unordered_set<std::string>* stale_keys;
};

// Adds the survivors of one data frame to the plan.
Status PlanFrame(const FrameHeader& h, std::string_view body, const NewestByKey& newest,
                 const TombstonePolicy& tombstones, uint64_t base, uint64_t pos, SegmentPlan* plan) {
  const char* p = body.data();
  std::vector<HeaderView> headers;
  for (uint32_t i = 0; i < h.event_count; ++i) {
    EventRecord r;
    if (!DecodeEventRecord(&p, body.data() + body.size(), &r, &headers)) {
      return CorruptSegment(base, pos, "event record does not decode");
    }
    const uint64_t offset = h.base_offset + r.offset_delta;
    const int64_t timestamp = EventTimestamp(h.first_timestamp, r.timestamp_delta);
    bool keep = true;
    if (r.key) {
      auto it = newest.find(std::string(*r.key));
      const bool superseded = it == newest.end() || it->second != offset;
      const bool expired_tombstone = r.payload.empty() && timestamp < tombstones.expired_before &&
                                     !tombstones.stale_keys->contains(std::string(*r.key));
      const bool unacked = offset >= tombstones.unacked_from;
      keep = !superseded && !(expired_tombstone && !unacked);
      if (!keep) plan->removed_keys.emplace(*r.key);
      if (!superseded && expired_tombstone && unacked) ++plan->tombstones_kept_for_groups;
    }
    if (keep) {
      if (!plan->unencodable) {
        Status added = plan->survivors.Add({r.key, headers, r.payload}, offset, timestamp);
        if (!added.ok()) plan->unencodable = added.message();
      }
      ++plan->stats.events_kept;
    } else {
      ++plan->stats.events_removed;
      if (r.payload.empty()) ++plan->stats.tombstones_removed;
    }
  }
  return Status::Ok();
}

Result<SegmentPlan> PlanSegment(Log::Impl& log, uint64_t base, const NewestByKey& newest,
                                const TombstonePolicy& tombstones) {
  SegmentPlan plan;
  plan.stats.base_offset = base;
  EVLOG_ASSIGN_OR_RETURN(auto file, OpenSegment(log.fs(), log.dir(), base, log.meta().log_id, OpenMode::kReadOnly,
                                                &plan.header));
  EVLOG_ASSIGN_OR_RETURN(plan.stats.bytes_before, file->Size());
  plan.survivors.Reserve(plan.stats.bytes_before);
  EVLOG_ASSIGN_OR_RETURN(auto map, file->Map(plan.stats.bytes_before));
  std::string_view data = map->bytes();
  // The checks every reader makes (format-spec §5.6): a rewrite re-chains and re-batches the
  // survivors, so a sequence error it let through would be laundered into a valid segment.
  ScanPosition seq{format::segment::kHeaderSize, base, kNoTimestamp, 0, false, /*segment_start=*/true};
  for (uint64_t pos = format::segment::kHeaderSize; pos < data.size();) {
    FrameHeader h;
    std::string why;
    FrameParse parse = ParseFrame(data, pos, /*check_body=*/true, &h, &why);
    if (parse != FrameParse::kOk) return CorruptSegment(base, pos, why.empty() ? "no valid frame" : why);
    if (!AdvanceInSequence(h, &seq, &why)) return CorruptSegment(base, pos, why);
    if (!plan.has_frames) plan.first_prev_checksum = h.prev_checksum;
    plan.has_frames = true;
    plan.last_checksum = h.checksum;
    // Skippable records carry no events; v1 defines none, and a rewrite drops them.
    if (h.has_events()) {
      plan.survivors.BeginSourceFrame(/*starts_batch=*/h.kind == f::kFull || h.kind == f::kFirst);
      std::string_view body = data.substr(pos + f::kHeaderSize, h.length - f::kHeaderSize);
      EVLOG_RETURN_IF_ERROR(PlanFrame(h, body, newest, tombstones, base, pos, &plan));
    }
    pos += h.aligned_length();
  }
  if (seq.inside_batch()) return CorruptSegment(base, data.size(), "incomplete batch: the segment ends inside a batch");
  return plan;
}

// The new segment file: the original header with chain_out set, then the survivors chained
// from the original first frame's prev_checksum.
std::string EncodeSegment(SegmentPlan& plan, int64_t now_ns) {
  SegmentHeader header = plan.header;
  header.created_ns = now_ns;
  header.chain_out = plan.header.OutgoingChecksum(plan.last_checksum);
  return plan.survivors.TakeSegment(EncodeSegmentHeader(header), plan.first_prev_checksum);
}

// Why the survivors of `plan` cannot replace the segment, or nothing if they can.
std::optional<std::string> WhyNotRewritable(const SegmentPlan& plan, uint64_t segment_bytes) {
  if (plan.unencodable) return plan.unencodable;
  const uint64_t size = plan.survivors.segment_bytes();
  if (size <= segment_bytes) return std::nullopt;
  return fmt::format("its {} surviving events would take {} bytes, more than the segment size of {} bytes; "
                     "it stays as it was",
                     plan.stats.events_kept, size, segment_bytes);
}

Status RemoveSegmentFiles(Log::Impl& log, uint64_t base) {
  EVLOG_RETURN_IF_ERROR(log.fs()->Remove(log.Path(SegmentFileName(base))));
  EVLOG_ASSIGN_OR_RETURN(bool has_index, log.fs()->Exists(log.Path(IndexFileName(base))));
  if (has_index) EVLOG_RETURN_IF_ERROR(log.fs()->Remove(log.Path(IndexFileName(base))));
  return log.fs()->SyncDir(log.dir());
}

// Replaces segment `base` by `contents` atomically (§2 file creation, with a rename over the
// old file), then rebuilds its index, a cache that readers validate before use (§7.2).
Status ReplaceSegment(Log::Impl& log, uint64_t base, const std::string& contents) {
  EVLOG_RETURN_IF_ERROR(CreateFileDurably(log.fs(), log.dir(), SegmentFileName(base), contents));
  return RebuildIndex(log.fs(), log.dir(), base, log.meta().log_id, contents, contents.size());
}

}  // namespace

Result<KeyCompactionReport> CompactKeys(Log::Impl& log, const HeadRecord& head, const CompactionOptions& options,
                                        const std::optional<GroupInfo>& slowest, int64_t now_ns,
                                        uint64_t first_segment, bool write) {
  KeyCompactionReport report;
  EVLOG_ASSIGN_OR_RETURN(NewestByKey newest, ReadNewestOffsets(log));
  report.keys = newest.size();
  std::unordered_set<std::string> stale_keys;  // TombstonePolicy::stale_keys
  const TombstonePolicy tombstones{TimeBefore(now_ns, options.tombstone_retention_ns),
                                   slowest ? slowest->position : UINT64_MAX, &stale_keys};
  EVLOG_ASSIGN_OR_RETURN(std::vector<uint64_t> segments, ListSegments(log.fs(), log.dir()));
  bool oldest = true;  // every segment before this one was deleted (or there is none)
  const uint64_t closed = static_cast<uint64_t>(std::count_if(segments.begin(), segments.end(), [&](uint64_t b) {
    return b >= first_segment && b < head.segment_base;
  }));
  uint64_t examined = 0;
  for (uint64_t base : segments) {
    if (base < first_segment) continue;
    if (base >= head.segment_base) break;  // the active segment, and unpublished rolls, stay
    if (options.progress) options.progress(examined++, closed);
    EVLOG_ASSIGN_OR_RETURN(SegmentPlan plan, PlanSegment(log, base, newest, tombstones));
    report.tombstones_kept_for_groups += plan.tombstones_kept_for_groups;
    if (plan.stats.events_removed == 0) {
      oldest = false;
      continue;
    }
    plan.stats.deleted = oldest && plan.stats.events_kept == 0;
    std::string contents;
    if (!plan.stats.deleted) {
      oldest = false;
      if (std::optional<std::string> why = WhyNotRewritable(plan, log.meta().segment_bytes)) {
        report.kept.push_back({base, std::move(*why)});
        stale_keys.merge(plan.removed_keys);
        continue;
      }
      contents = EncodeSegment(plan, now_ns);
      plan.stats.bytes_after = contents.size();
    }
    if (write) {
      EVLOG_RETURN_IF_ERROR(plan.stats.deleted ? RemoveSegmentFiles(log, base) : ReplaceSegment(log, base, contents));
    }
    report.events_removed += plan.stats.events_removed;
    report.tombstones_removed += plan.stats.tombstones_removed;
    report.bytes_reclaimed += plan.stats.bytes_before - std::min(plan.stats.bytes_before, plan.stats.bytes_after);
    report.segments.push_back(plan.stats);
  }
  if (report.tombstones_kept_for_groups > 0) {
    report.tombstones_kept_reason = fmt::format("group '{}' is at offset {}", slowest->name, slowest->position);
  }
  return report;
}

}  // namespace eventlog
