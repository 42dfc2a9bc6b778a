// Retention planning. Every limit selects a prefix of the segments: the bytes after a
// segment shrink, and its end offset and newest timestamp grow, from old to new (§4.3,
// §5.6 check 14). So the plan walks from the oldest segment and stops at the first one that
// is not below the retention point, or that must stay (the active segment, or one holding
// events a consumer group has not acked); removing only that prefix never leaves a hole.
#include "retention.h"

#include <fmt/format.h>

#include "format.h"
#include "frame.h"
#include "segment.h"

namespace eventlog {
namespace {

// What the plan needs to know about one segment.
struct SegmentFacts {
  uint64_t base = 0;
  uint64_t end_offset = 0;
  uint64_t events = 0;
  uint64_t segment_bytes = 0;
  uint64_t index_bytes = 0;
  int64_t last_timestamp = 0;
};

Result<uint64_t> FileSize(FileSystem* fs, const std::string& path) {
  EVLOG_ASSIGN_OR_RETURN(auto file, fs->Open(path, OpenMode::kReadOnly));
  return file->Size();
}

// Reads a closed segment's frame headers (each checksum is verified, bodies are not
// decoded): a segment that does not parse to its end is not removed on a guess.
Result<SegmentFacts> ReadClosedSegment(Log::Impl& log, uint64_t base) {
  SegmentFacts facts{base, base};
  const std::string name = SegmentFileName(base);
  EVLOG_ASSIGN_OR_RETURN(auto file, OpenSegment(log.fs(), log.dir(), base, log.meta().log_id, OpenMode::kReadOnly));
  EVLOG_ASSIGN_OR_RETURN(facts.segment_bytes, file->Size());
  auto index_bytes = FileSize(log.fs(), log.Path(IndexFileName(base)));
  facts.index_bytes = index_bytes ? *index_bytes : 0;  // an index is an optional cache
  EVLOG_ASSIGN_OR_RETURN(auto map, file->Map(facts.segment_bytes));
  std::string_view data = map->bytes();
  for (uint64_t pos = format::segment::kHeaderSize; pos < data.size();) {
    FrameHeader h;
    std::string why;
    FrameParse parse = ParseFrame(data, pos, /*check_body=*/false, &h, &why);
    if (parse != FrameParse::kOk) {
      if (parse == FrameParse::kNoFrame) why = "zero bytes where a frame should start";
      if (parse == FrameParse::kTruncated) why = "frame cut short by the end of the file";
      return Status::Corruption(fmt::format("segment {}: {} at byte {} in a closed segment; compaction stops before "
                                            "it. Run `evlog verify`",
                                            name, why, pos));
    }
    if (h.has_events()) {
      facts.events += h.event_count;
      facts.end_offset = h.next_offset();
      facts.last_timestamp = h.last_timestamp;
    }
    pos += h.aligned_length();
  }
  return facts;
}

bool BelowRetentionPoint(const SegmentFacts& s, uint64_t bytes_after, const CompactionOptions& o, int64_t now_ns) {
  if (o.retain_bytes && bytes_after >= *o.retain_bytes) return true;
  // An empty segment holds no event that is not older than the age.
  if (o.retain_age_ns && (s.events == 0 || s.last_timestamp < TimeBefore(now_ns, *o.retain_age_ns))) return true;
  return o.before_offset && s.end_offset <= *o.before_offset;
}

}  // namespace

Result<CompactionReport> PlanRetention(Log::Impl& log, const HeadRecord& head, const CompactionOptions& options,
                                       const std::optional<GroupInfo>& slowest, int64_t now_ns) {
  CompactionReport report;
  report.dry_run = options.dry_run;
  EVLOG_ASSIGN_OR_RETURN(std::vector<uint64_t> segments, ListSegments(log.fs(), log.dir()));
  // A segment above HEAD's is a roll that was never published: recovery's business.
  std::erase_if(segments, [&](uint64_t base) { return base > head.segment_base; });
  // A dry run takes no lock: another compaction may remove listed segments meanwhile, which
  // are then planned as already gone. Under the lock, a listed segment that is not there is
  // an error.
  auto removed_meanwhile = [&](const Status& status) {
    return options.dry_run && status.code() == StatusCode::kNotFound;
  };
  std::vector<uint64_t> bytes_after(segments.size(), 0);  // segment file bytes after segment i
  for (size_t i = segments.size(); i-- > 1;) {
    Result<uint64_t> size = FileSize(log.fs(), log.Path(SegmentFileName(segments[i])));
    if (!size && !removed_meanwhile(size.error())) return size.error();
    bytes_after[i - 1] = bytes_after[i] + (size ? *size : 0);
  }
  size_t i = 0;
  for (; i < segments.size(); ++i) {
    const bool active = segments[i] == head.segment_base;
    SegmentFacts facts{segments[i], head.next_offset, 1, 0, 0, head.last_timestamp};
    if (!active) {
      Result<SegmentFacts> read = ReadClosedSegment(log, segments[i]);
      if (!read && removed_meanwhile(read.error())) continue;
      EVLOG_ASSIGN_OR_RETURN(facts, std::move(read));
    }
    if (!BelowRetentionPoint(facts, bytes_after[i], options, now_ns)) break;
    if (active) {
      report.kept = KeptSegment{facts.base, "it is the active segment (appends go there)"};
      break;
    }
    if (slowest && slowest->position < facts.end_offset) {
      report.kept = KeptSegment{facts.base, fmt::format("group '{}' is at offset {}", slowest->name, slowest->position)};
      break;
    }
    report.removed.push_back({facts.base, facts.end_offset, facts.events, facts.segment_bytes + facts.index_bytes,
                              facts.last_timestamp});
    report.events_removed += facts.events;
    report.bytes_removed += facts.segment_bytes + facts.index_bytes;
  }
  report.first_offset = i < segments.size() ? std::min(segments[i], head.next_offset) : head.next_offset;
  return report;
}

}  // namespace eventlog
