#include "tail_scan.h"

#include <algorithm>

#include <fmt/format.h>

#include "format.h"
#include "segment.h"

namespace eventlog {
namespace {

// The state in which the newest segment's first frame must continue the log: the end of the
// previous segment (format-spec §8.2). Damage there is corruption: a closed segment is read
// to its file size and never has a torn tail.
Status FindChainStart(FileSystem* fs, const std::string& dir, const LogMeta& meta,
                      const std::vector<uint64_t>& segments, ScanPosition* start) {
  if (segments.size() < 2) {
    // Only the first segment of the log chains to 0. After compaction removed every older
    // segment, the predecessor is gone: its first frame is read without one (format-spec §5.6).
    start->chain_known = segments.back() == 0;
    return Status::Ok();
  }
  const uint64_t previous = segments[segments.size() - 2];
  SegmentHeader header;
  EVLOG_ASSIGN_OR_RETURN(auto file, OpenSegment(fs, dir, previous, meta.log_id, OpenMode::kReadOnly, &header));
  EVLOG_ASSIGN_OR_RETURN(uint64_t size, file->Size());
  if (size > meta.segment_bytes) {
    return Status::Corruption(fmt::format("segment {}: file is {} bytes, more than the log's segment size {}",
                                          SegmentFileName(previous), size, meta.segment_bytes));
  }
  EVLOG_ASSIGN_OR_RETURN(auto map, file->Map(size));
  // A closed segment may have been rewritten by key compaction: its first frame may start
  // above its base offset (format-spec §5.6 check 13).
  ScanPosition from{format::segment::kHeaderSize, previous, kNoTimestamp, 0, false, /*segment_start=*/true};
  ScanOutcome scan = ScanBatches(map->bytes(), from);
  if (!scan.reached_end) {
    return Status::Corruption(fmt::format("segment {}: {} at byte {} (offset {} onwards) in a closed segment",
                                          SegmentFileName(previous), scan.problem, scan.bad_position,
                                          scan.problem_offset));
  }
  // A gap (the next segment starts later) is allowed (format-spec §4.3: retention, or a
  // damaged segment moved aside by `verify --repair --force`); an overlap is not.
  if (scan.end.next_offset > start->next_offset) {
    return Status::Corruption(fmt::format("segment {} ends at offset {} but the next segment starts at {}",
                                          SegmentFileName(previous), scan.end.next_offset, start->next_offset));
  }
  // A rewritten segment names in chain_out what its successor chains to (format-spec §9.3).
  start->last_checksum = header.OutgoingChecksum(scan.end.last_checksum);
  start->last_timestamp = std::max(start->last_timestamp, scan.end.last_timestamp);
  start->chain_known = scan.end.chain_known || header.chain_out != 0;
  return Status::Ok();
}

// Reads the newest segment from its start to HEAD's committed end and checks that it ends
// where HEAD says. A writer must not acknowledge events after committed data it cannot read
// back: they would be lost with it when `verify --repair --force` moves the segment aside
// (format-spec §8.2). Every writer process pays for this once, so it checks checksums, not
// record encodings: those bodies were decoded by the writer that published them; what is in
// question is whether the bytes are still the ones it wrote. A full 64 MiB segment of
// one-event frames (the worst case) takes about 50 ms; one of 256 KiB frames a few ms.
Status VerifyCommitted(std::string_view bytes, const std::string& name, const HeadRecord& head, uint64_t base) {
  const ScanPosition from{format::segment::kHeaderSize, base, kNoTimestamp, 0, /*chain_known=*/base == 0};
  ScanOutcome scan = ScanBatches(bytes.substr(0, head.committed_end), from, nullptr, /*check_bodies=*/false);
  if (!scan.reached_end) {
    return Status::Corruption(fmt::format(
        "segment {}: {} at byte {} (offset {} onwards), below the committed end {}: acknowledged data is damaged; "
        "nothing was written. Run `evlog verify` to see the extent",
        name, scan.problem, scan.bad_position, scan.problem_offset, head.committed_end));
  }
  // HEAD's fields must describe the last committed frame (format-spec §6.1); a HEAD that
  // disagrees belongs to other data (copied from another log, or the segment was replaced).
  const bool frames_agree = scan.end.next_offset == head.next_offset &&
                            (!scan.end.chain_known || scan.end.last_checksum == head.last_checksum);
  if (!frames_agree) {
    return Status::Corruption(fmt::format(
        "segment {}: HEAD says the committed frames end with offset {} (checksum {:016x}), but the segment's frames "
        "end with offset {} (checksum {:016x}): HEAD or the segment was replaced; nothing was written. Run `evlog "
        "verify`",
        name, head.next_offset, head.last_checksum, scan.end.next_offset, scan.end.last_checksum));
  }
  return Status::Ok();
}

}  // namespace

Result<TailScan> ScanTail(FileSystem* fs, const std::string& dir, const LogMeta& meta,
                          const std::optional<HeadRecord>& head, const TailScanOptions& options) {
  TailScan t;
  EVLOG_ASSIGN_OR_RETURN(t.segments, ListSegments(fs, dir));
  // HEAD is published only after its segment was created durably, and retention removes only
  // segments below it: a HEAD naming a segment newer than every file means the active segment
  // (and acknowledged events with it) was deleted. A HEAD naming an older missing segment is
  // a stale copy left by a power loss (format-spec §8.2).
  if (head && (t.segments.empty() || head->segment_base > t.segments.back())) {
    return Status::Corruption(fmt::format(
        "{}: HEAD names segment {}, which does not exist: the active segment and the events in it (offsets {}..{}) are "
        "missing; nothing was written. Restore the segment from a backup, or run `evlog verify --repair --force` to "
        "continue after offset {}",
        dir, SegmentFileName(head->segment_base), head->segment_base, head->next_offset, head->next_offset));
  }
  if (t.segments.empty()) return t;
  t.active_base = t.segments.back();
  const std::string name = SegmentFileName(t.active_base);
  EVLOG_ASSIGN_OR_RETURN(auto file, OpenSegment(fs, dir, t.active_base, meta.log_id, OpenMode::kReadOnly));
  EVLOG_ASSIGN_OR_RETURN(t.file_size, file->Size());
  // No writer ever makes a segment longer than the log's segment size (format-spec §4.2):
  // a longer file is damage, not a tail to be scanned and cut.
  if (t.file_size > meta.segment_bytes) {
    return Status::Corruption(fmt::format(
        "segment {}: file is {} bytes, more than the log's segment size {}: it was not written by evlog; nothing was "
        "changed. Run `evlog verify`",
        name, t.file_size, meta.segment_bytes));
  }
  t.head_names_active = head && head->segment_base == t.active_base;
  if (t.head_names_active && head->committed_end > t.file_size) {
    return Status::Corruption(fmt::format(
        "segment {}: file is {} bytes but {} bytes were committed: acknowledged data is missing; run `evlog verify`",
        name, t.file_size, head->committed_end));
  }
  EVLOG_ASSIGN_OR_RETURN(auto map, file->Map(t.file_size));
  const std::string_view bytes = map->bytes();
  if (t.head_names_active) {
    if (options.verify_committed) {
      EVLOG_RETURN_IF_ERROR(
          VerifyCommitted(bytes, name, *head, t.active_base));
    }
    t.start = ScanPosition{head->committed_end, head->next_offset, HeadTimestampFloor(*head), head->last_checksum, true};
  } else {
    // Without a HEAD naming it, the newest segment is scanned from its start, continuing the
    // chain from the previous segment's last frame (format-spec §8.2). A stale HEAD's last
    // timestamp is still a lower bound.
    t.start = ScanPosition{format::segment::kHeaderSize, t.active_base, head ? HeadTimestampFloor(*head) : kNoTimestamp,
                           0, false};
    EVLOG_RETURN_IF_ERROR(FindChainStart(fs, dir, meta, t.segments, &t.start));
  }
  // Classified as `verify` classifies it, so that verify predicts what recovery does.
  TailClassification tail = ClassifyTail(bytes, t.start);
  t.scan = tail.scan;
  if (tail.refuse && t.scan.stop_parse == FrameParse::kUnsupported) {
    return Status::Corruption(fmt::format(
        "segment {}: {} at byte {}: this evlog cannot repair a log written by a newer version; nothing was changed",
        name, t.scan.problem, t.scan.bad_position));
  }
  if (tail.refuse) {
    return Status::Corruption(fmt::format(
        "segment {}: {} at byte {} (offset {} onwards), and checksum-valid frames lie at or after it: committed "
        "data is damaged, not torn by a crash; nothing was changed. Run `evlog verify` to see the extent",
        name, t.scan.problem, t.scan.bad_position, t.scan.problem_offset));
  }
  return t;
}

uint64_t NextOffsetClaimed(std::string_view data) {
  uint64_t next = 0;
  // Same bound as ValidFrameAfter: hostile bytes cannot make this hash more than a few
  // times the segment.
  const uint64_t budget = 16 * data.size() + (64u << 20);
  uint64_t hashed = 0;
  for (uint64_t pos = format::segment::kHeaderSize; pos + format::frame::kHeaderSize <= data.size();
       pos += format::frame::kAlignment) {
    FrameHeader h;
    std::string why;
    FrameParse parse = ParseFrame(data, pos, /*check_body=*/false, &h, &why);
    if (ChecksumValid(parse) && h.has_events()) next = std::max(next, h.next_offset());
    if (parse == FrameParse::kInvalid && why == "checksum mismatch") hashed += h.length;  // what was hashed
    if (hashed > budget) break;
  }
  return next;
}

}  // namespace eventlog
