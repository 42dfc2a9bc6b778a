// Recovery (format-spec §8): find where committed data ends (tail_scan.cc), cut a torn
// tail, make what is kept durable, and republish HEAD. Runs with the append lock held; the
// reading half is shared with readers, which face the same stale HEAD but never write.
#include <fmt/format.h>

#include "format.h"
#include "head.h"
#include "log_impl.h"
#include "log_writer.h"
#include "segment.h"
#include "tail_scan.h"

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
  EVLOG_ASSIGN_OR_RETURN(std::optional<HeadRecord> head, ReadHead(*head_file_, log_->meta()));
  EVLOG_ASSIGN_OR_RETURN(TailScan t, ScanTail(fs, log_->dir(), log_->meta(), head, {.verify_committed = true}));
  if (t.segments.empty()) {  // a crash during creation, before the first segment was renamed
    const SegmentHeader header{log_->meta().log_id, 0, 0};
    EVLOG_RETURN_IF_ERROR(CreateFileDurably(fs, log_->dir(), SegmentFileName(0), EncodeSegmentHeader(header)));
    EVLOG_ASSIGN_OR_RETURN(t, ScanTail(fs, log_->dir(), log_->meta(), head));
  }
  EVLOG_RETURN_IF_ERROR(OpenActive(t.active_base));
  head_sequence_ = head ? head->sequence : 0;
  EVLOG_RETURN_IF_ERROR(RepairTail(t));
  EVLOG_RETURN_IF_ERROR(Publish());
  recovered_ = true;
  return Status::Ok();
}

// Cuts what the scan classified as torn, and makes everything kept durable before HEAD lets
// readers see it: complete batches beyond the committed end (at-least-once, format-spec
// §8.3) may still be only in the page cache, and the newest segment's directory entry too.
Status LogWriter::RepairTail(const TailScan& t) {
  const std::string name = SegmentFileName(segment_base_);
  const ScanOutcome& scan = t.scan;
  if (!scan.reached_end || scan.end.position != t.start.position || !t.start.chain_known) {
    EVLOG_ASSIGN_OR_RETURN(auto map, segment_->Map(t.file_size));
    EVLOG_RETURN_IF_ERROR(RebuildIndex(log_->fs(), log_->dir(), segment_base_, log_->meta().log_id, map->bytes(),
                                       scan.end.position));
  }
  if (!scan.reached_end) {
    EVLOG_RETURN_IF_ERROR(segment_->Truncate(scan.stop_position));
    // Below a valid HEAD's end nothing is cut, so a cut above it removes only appends that were
    // never acknowledged. Without a valid HEAD that cannot be shown, and the note says so.
    log_->AddNote(fmt::format("segment {}: cut a torn tail of {} bytes at byte {} ({}); offsets from {} {}", name,
                              t.file_size - scan.stop_position, scan.stop_position, scan.problem, scan.end.next_offset,
                              t.head_names_active ? "were never acknowledged"
                                                  : "were lost or never acknowledged: HEAD was missing, damaged or "
                                                    "stale, so which it was cannot be told"));
  }
  // Nothing this writer wrote is above the scan's end, and frames below it may have been
  // acknowledged by a HEAD that a power loss took back: a failed sync here cuts nothing.
  if (!scan.reached_end || scan.end.position != t.start.position) {
    EVLOG_RETURN_IF_ERROR(SyncSegment(/*cut_back_to=*/std::nullopt));
  }
  // A segment HEAD did not name may have been renamed into place by a roller that died (or
  // whose directory fsync failed) before the rename was durable: publishing appends into it
  // without syncing the directory would let a power loss remove them with the entry.
  if (!t.head_names_active) EVLOG_RETURN_IF_ERROR(log_->fs()->SyncDir(log_->dir()));
  tail_ = scan.end;
  return Status::Ok();
}

}  // namespace eventlog
