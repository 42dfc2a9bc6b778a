#include "eventlog/repair.h"

#include <algorithm>

#include <fmt/format.h>

#include "eventlog/verify.h"
#include "format.h"
#include "format_blocks.h"
#include "head.h"
#include "log_impl.h"
#include "segment.h"
#include "segment_index.h"
#include "tail_scan.h"

namespace eventlog {
namespace {

constexpr const char* kQuarantine = "quarantine";

// Moves a damaged segment and its index to LOG/quarantine/, durably.
Status Quarantine(Log::Impl& log, const std::string& name, std::vector<std::string>* actions) {
  FileSystem* fs = log.fs();
  const std::string dir = log.Path(kQuarantine);
  EVLOG_RETURN_IF_ERROR(fs->CreateDir(dir));
  EVLOG_RETURN_IF_ERROR(fs->SyncDir(log.dir()));
  EVLOG_RETURN_IF_ERROR(fs->Rename(log.Path(name), dir + "/" + name));
  const std::string index = name.substr(0, format::kFileNameDigits) + std::string(format::kIndexSuffix);
  EVLOG_ASSIGN_OR_RETURN(bool has_index, fs->Exists(log.Path(index)));
  if (has_index) EVLOG_RETURN_IF_ERROR(fs->Remove(log.Path(index)));  // a cache: rebuilt if ever needed
  EVLOG_RETURN_IF_ERROR(fs->SyncDir(dir));
  EVLOG_RETURN_IF_ERROR(fs->SyncDir(log.dir()));
  actions->push_back(fmt::format("moved damaged segment {} to {}/", name, kQuarantine));
  return Status::Ok();
}

// Moves every segment with damaged committed data aside; if the newest one goes, an empty
// segment replaces it, named above every offset the damaged one may have handed out, so that
// no offset is handed out twice. Holds the append lock throughout: HEAD read before taking it
// could be overtaken by a concurrent append and the replacement reuse its offsets.
Status QuarantineDamaged(Log& log, std::vector<std::string>* actions) {
  Log::Impl& impl = *log.impl();
  EVLOG_ASSIGN_OR_RETURN(auto lock, impl.LockForMaintenance());
  EVLOG_ASSIGN_OR_RETURN(VerifyReport report, VerifyLog(log));
  EVLOG_ASSIGN_OR_RETURN(std::vector<uint64_t> segments, ListSegments(impl.fs(), impl.dir()));
  if (segments.empty()) return Status::Ok();
  const uint64_t newest = segments.back();
  uint64_t next_offset = newest;
  {
    // HEAD may be damaged or stale too: the replacement starts above both what HEAD says and
    // every offset a checksum-valid frame of the newest segment claims.
    EVLOG_ASSIGN_OR_RETURN(std::optional<HeadRecord> head, impl.PublishedHead());
    if (head) next_offset = std::max(next_offset, head->next_offset);
    EVLOG_ASSIGN_OR_RETURN(auto file, impl.fs()->Open(impl.Path(SegmentFileName(newest)), OpenMode::kReadOnly));
    EVLOG_ASSIGN_OR_RETURN(uint64_t size, file->Size());
    EVLOG_ASSIGN_OR_RETURN(auto map, file->Map(size));
    next_offset = std::max(next_offset, NextOffsetClaimed(map->bytes()));
  }
  std::vector<std::string> moved;
  for (const VerifyProblem& p : report.problems) {
    bool segment = p.file.size() > format::kSegmentSuffix.size() && p.file.ends_with(format::kSegmentSuffix);
    if (p.kind != VerifyProblem::Kind::kCorruption || !segment) continue;
    if (std::find(moved.begin(), moved.end(), p.file) != moved.end()) continue;
    EVLOG_RETURN_IF_ERROR(Quarantine(impl, p.file, actions));
    moved.push_back(p.file);
  }
  if (std::find(moved.begin(), moved.end(), SegmentFileName(newest)) != moved.end()) {
    const SegmentHeader header{impl.meta().log_id, next_offset, 0};
    EVLOG_RETURN_IF_ERROR(CreateFileDurably(impl.fs(), impl.dir(), SegmentFileName(next_offset),
                                            EncodeSegmentHeader(header)));
    actions->push_back(fmt::format("started segment {} so that offsets from {} are not reused",
                                   SegmentFileName(next_offset), next_offset));
  }
  return Status::Ok();
}

Status RebuildIndexesLocked(Log::Impl& log, const HeadRecord& head, std::vector<std::string>* actions) {
  EVLOG_RETURN_IF_ERROR(CheckHeadReadsBack(log.fs(), log.Path(format::kHeadFileName), log.meta(), head));
  EVLOG_ASSIGN_OR_RETURN(std::vector<uint64_t> segments, ListSegments(log.fs(), log.dir()));
  for (uint64_t base : segments) {
    EVLOG_ASSIGN_OR_RETURN(auto file, OpenSegment(log.fs(), log.dir(), base, log.meta().log_id, OpenMode::kReadOnly));
    EVLOG_ASSIGN_OR_RETURN(uint64_t size, file->Size());
    const uint64_t end = base == head.segment_base ? std::min(size, head.committed_end) : size;
    EVLOG_ASSIGN_OR_RETURN(auto map, file->Map(size));
    EVLOG_RETURN_IF_ERROR(RebuildIndex(log.fs(), log.dir(), base, log.meta().log_id, map->bytes(), end));
  }
  actions->push_back(fmt::format("rebuilt the index of {} segment{}", segments.size(), segments.size() == 1 ? "" : "s"));
  return Status::Ok();
}

// Under the writer's own lock (RunLocked): taking LOCK here and then asking CommittedHead,
// which recovers (and locks) when HEAD does not read back, made the process wait for itself.
Status RebuildIndexes(Log::Impl& log, std::vector<std::string>* actions) {
  return log.RunLocked([&](const HeadRecord& head) { return RebuildIndexesLocked(log, head, actions); });
}

}  // namespace

Result<RepairReport> RepairLog(Log& log, bool force) {
  RepairReport report;
  const size_t notes_before = log.recovery_notes().size();
  Status recovered = log.Recover();
  if (!recovered.ok() && recovered.code() == StatusCode::kCorruption && force) {
    EVLOG_RETURN_IF_ERROR(QuarantineDamaged(log, &report.actions));
    recovered = log.Recover();
  }
  std::vector<std::string> notes = log.recovery_notes();
  for (size_t i = notes_before; i < notes.size(); ++i) report.actions.push_back(notes[i]);
  EVLOG_RETURN_IF_ERROR(recovered);
  if (force) {  // damage below the committed end is not recovery's business: check it all
    EVLOG_ASSIGN_OR_RETURN(VerifyReport check, VerifyLog(log));
    if (check.corrupt()) EVLOG_RETURN_IF_ERROR(QuarantineDamaged(log, &report.actions));
    EVLOG_RETURN_IF_ERROR(log.Recover());
  }
  EVLOG_RETURN_IF_ERROR(RebuildIndexes(*log.impl(), &report.actions));
  return report;
}

}  // namespace eventlog
