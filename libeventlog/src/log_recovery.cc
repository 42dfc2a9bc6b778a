// Recovery (format-spec §8): find the newest segment, scan what lies beyond the committed
// end, keep complete batches, cut a torn tail, and refuse to guess when committed data is
// damaged. Runs with the append lock held.
#include <fmt/format.h>

#include "format.h"
#include "head.h"
#include "log_impl.h"
#include "log_writer.h"
#include "segment.h"

namespace eventlog {

namespace {

Status RemoveLeftoverTempFiles(FileSystem* fs, const std::string& dir) {
  EVLOG_ASSIGN_OR_RETURN(std::vector<std::string> names, fs->ListDir(dir));
  const std::string suffix(format::kTempSuffix);
  for (const std::string& name : names) {
    if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      EVLOG_RETURN_IF_ERROR(fs->Remove(dir + "/" + name));
    }
  }
  return Status::Ok();
}

}  // namespace

Status LogWriter::LockedRecover() {
  FileSystem* fs = log_->fs();
  EVLOG_RETURN_IF_ERROR(RemoveLeftoverTempFiles(fs, log_->dir()));
  EVLOG_ASSIGN_OR_RETURN(std::vector<uint64_t> segments, ListSegments(fs, log_->dir()));
  if (segments.empty()) {  // a crash during creation, before the first segment was renamed
    const SegmentHeader header{log_->meta().log_id, 0, 0};
    EVLOG_RETURN_IF_ERROR(CreateFileDurably(fs, log_->dir(), SegmentFileName(0), EncodeSegmentHeader(header)));
    segments.push_back(0);
  }
  EVLOG_ASSIGN_OR_RETURN(std::optional<HeadRecord> head, ReadHead(*head_file_));
  EVLOG_RETURN_IF_ERROR(OpenActive(segments.back()));
  EVLOG_ASSIGN_OR_RETURN(uint64_t size, segment_->Size());
  ScanPosition start;
  if (head && head->segment_base == segment_base_ && head->committed_end <= size &&
      head->committed_end >= format::segment::kHeaderSize) {
    start = ScanPosition{head->committed_end, head->next_offset, HeadTimestampFloor(*head), head->last_checksum, true};
  } else if (head && head->segment_base == segment_base_ && head->committed_end > size) {
    return Status::Corruption(fmt::format(
        "segment {}: file is {} bytes but {} bytes were committed: acknowledged data is missing; run `evlog verify`",
        SegmentFileName(segment_base_), size, head->committed_end));
  } else {
    // HEAD is missing, damaged or stale (it names an older segment): scan the newest
    // segment from its start, continuing the chain from the previous segment's last frame.
    start = ScanPosition{format::segment::kHeaderSize, segment_base_, head ? HeadTimestampFloor(*head) : kNoTimestamp, 0, false};
    EVLOG_RETURN_IF_ERROR(FindChainStart(segments, &start));
  }
  head_sequence_ = head ? head->sequence : 0;
  EVLOG_RETURN_IF_ERROR(RecoverTail(start));
  EVLOG_RETURN_IF_ERROR(Publish());
  recovered_ = true;
  return Status::Ok();
}

Status LogWriter::FindChainStart(const std::vector<uint64_t>& segments, ScanPosition* start) {
  if (segments.size() < 2) {
    // Only the first segment of the log chains to 0. After compaction removed every older
    // segment, the predecessor is gone: its first frame is read without one (format-spec §5.6).
    start->chain_known = segments.back() == 0;
    return Status::Ok();
  }
  const uint64_t previous = segments[segments.size() - 2];
  SegmentHeader header;
  EVLOG_ASSIGN_OR_RETURN(auto file, OpenSegment(log_->fs(), log_->dir(), previous, log_->meta().log_id,
                                                OpenMode::kReadOnly, &header));
  EVLOG_ASSIGN_OR_RETURN(uint64_t size, file->Size());
  EVLOG_ASSIGN_OR_RETURN(auto map, file->Map(size));
  // A closed segment may have been rewritten by key compaction: its first frame may start
  // above its base offset (format-spec §5.6 check 13).
  ScanPosition from{format::segment::kHeaderSize, previous, kNoTimestamp, 0, false, /*segment_start=*/true};
  ScanOutcome scan = ScanBatches(map->bytes(), from);
  if (!scan.reached_end) {
    return Status::Corruption(fmt::format("segment {}: {} at byte {} (offset {} onwards) in a closed segment",
                                          SegmentFileName(previous), scan.problem, scan.bad_position, scan.problem_offset));
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

// Scans the active segment from `start` to its end: complete batches beyond the committed
// end are kept (durable, though never acknowledged: at-least-once), an unfinished or
// unverifiable tail with nothing valid behind it is a torn write and is cut.
Status LogWriter::RecoverTail(ScanPosition start) {
  const std::string name = SegmentFileName(segment_base_);
  EVLOG_ASSIGN_OR_RETURN(uint64_t size, segment_->Size());
  ScanOutcome scan;
  {
    EVLOG_ASSIGN_OR_RETURN(auto map, segment_->Map(size));
    scan = ScanBatches(map->bytes(), start);
    if (!scan.reached_end && scan.stop_parse == FrameParse::kUnsupported) {
      return Status::Corruption(fmt::format(
          "segment {}: {} at byte {}: this evlog cannot repair a log written by a newer version; nothing was changed",
          name, scan.problem, scan.bad_position));
    }
    if (!scan.reached_end && ValidFrameAfter(map->bytes(), scan.bad_position)) {
      return Status::Corruption(fmt::format(
          "segment {}: {} at byte {} (offset {} onwards), and checksum-valid frames lie at or after it: committed "
          "data is damaged, not torn by a crash; nothing was changed. Run `evlog verify` to see the extent",
          name, scan.problem, scan.bad_position, scan.problem_offset));
    }
    if (!scan.reached_end || scan.end.position != start.position || !start.chain_known) {
      EVLOG_RETURN_IF_ERROR(RebuildIndex(log_->fs(), log_->dir(), segment_base_, log_->meta().log_id, map->bytes(),
                                         scan.end.position));
    }
  }
  if (!scan.reached_end) {
    EVLOG_RETURN_IF_ERROR(segment_->Truncate(scan.stop_position));
    EVLOG_RETURN_IF_ERROR(SyncSegment());
    log_->AddNote(fmt::format("segment {}: cut a torn tail of {} bytes at byte {} ({}); offsets from {} were never "
                              "acknowledged",
                              name, size - scan.stop_position, scan.stop_position, scan.problem, scan.end.next_offset));
  }
  // Frames kept beyond the committed end may still be only in the page cache (their writer
  // died before its fdatasync): make them durable before HEAD lets readers see them.
  if (scan.end.position != start.position) EVLOG_RETURN_IF_ERROR(SyncSegment());
  tail_ = scan.end;
  return Status::Ok();
}

}  // namespace eventlog
