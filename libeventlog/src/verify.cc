// VerifyLog: reads every segment from its header to its end, checking each frame in
// sequence with the same scanner recovery uses, then compares each index with the entries
// the segment implies, and checks the consumer-group positions against the log's end.
#include "eventlog/verify.h"

#include <algorithm>

#include <optional>

#include <fmt/format.h>

#include "eventlog/consumer_groups.h"
#include "format.h"
#include "head.h"
#include "log_impl.h"
#include "segment.h"
#include "segment_index.h"
#include "segment_scan.h"

namespace eventlog {

bool VerifyReport::corrupt() const {
  for (const VerifyProblem& p : problems) {
    if (p.kind == VerifyProblem::Kind::kCorruption) return true;
  }
  return false;
}

namespace {

using Kind = VerifyProblem::Kind;

// Compares the index of a segment with the entries its frames call for.
void VerifyIndex(Log::Impl& log, uint64_t base, const std::vector<IndexEntry>& expected, VerifyReport* report) {
  std::vector<IndexEntry> actual = ReadIndex(log.fs(), log.dir(), base, log.meta().log_id);
  const std::string name = IndexFileName(base);
  for (size_t i = 0; i < expected.size(); ++i) {
    if (i >= actual.size()) {
      report->problems.push_back({Kind::kIndex, name, format::index::kHeaderSize + i * format::index::kEntrySize,
                                  fmt::format("index lacks {} of {} entries (from offset {}); it is rebuilt by "
                                              "`verify --repair`", expected.size() - i, expected.size(),
                                              expected[i].offset)});
      return;
    }
    const IndexEntry& a = actual[i];
    const IndexEntry& e = expected[i];
    if (a.offset != e.offset || a.position != e.position || a.timestamp != e.timestamp) {
      report->problems.push_back({Kind::kIndex, name, format::index::kHeaderSize + i * format::index::kEntrySize,
                                  fmt::format("index entry {} says offset {} at byte {}, the segment has offset {} "
                                              "at byte {}", i, a.offset, a.position, e.offset, e.position)});
      return;
    }
  }
}

// The offsets a stop at `scan.bad_position` affects, as format-spec §10.3 names them: from
// the expected offset up to the one before the next checksum-valid data frame, or
// open-ended ("9..") when no such frame follows in the segment.
std::string AffectedOffsets(std::string_view data, const ScanOutcome& scan) {
  FrameHeader h;
  bool gave_up = false;
  for (uint64_t from = scan.bad_position + format::frame::kAlignment; !gave_up;) {
    std::optional<uint64_t> at = FindChecksumValidFrame(data, from, &h, &gave_up);
    if (!at) break;
    if (h.has_events() && h.base_offset > scan.problem_offset) {
      return fmt::format("{}..{}", scan.problem_offset, h.base_offset - 1);
    }
    from = *at + format::frame::kAlignment;
  }
  return fmt::format("{}..", scan.problem_offset);
}

// Reports what recovery (`verify --repair`, or the next append) will do with the bytes of the
// active segment beyond the committed end: the same classification (format-spec §8.3), so
// that verify and repair never disagree. Damage followed by a checksum-valid frame is not a
// torn tail: those frames may hold acknowledged events whose HEAD update was lost.
void VerifyBeyondCommittedEnd(const std::string& name, std::string_view data, const ScanPosition& committed,
                              VerifyReport* report) {
  const TailClassification tail = ClassifyTail(data, committed);
  const ScanOutcome& scan = tail.scan;
  if (scan.end.position > committed.position) {
    report->problems.push_back({Kind::kTornTail, name, committed.position,
                                fmt::format("complete batches beyond the committed end (offsets {}..{}), written by an "
                                            "append that died before publishing HEAD; recovery keeps them",
                                            committed.next_offset, scan.end.next_offset - 1)});
  }
  if (scan.reached_end) return;
  if (tail.refuse) {
    report->problems.push_back({Kind::kCorruption, name, scan.bad_position,
                                fmt::format("{} beyond the committed end, followed by checksum-valid data that may "
                                            "hold acknowledged events (offsets {}); recovery refuses to cut it. "
                                            "Copy the log aside before `verify --repair --force`",
                                            scan.problem, AffectedOffsets(data, scan))});
    return;
  }
  report->problems.push_back({Kind::kTornTail, name, scan.stop_position,
                              fmt::format("{} bytes beyond the committed end, left by an interrupted append ({} at "
                                          "byte {}); recovery (the next append, or `verify --repair`) cuts them",
                                          data.size() - scan.stop_position, scan.problem, scan.bad_position)});
}

// Readers find the committed end from the frames when HEAD lags them (format-spec §6.7);
// HEAD itself is left as it is until a writer runs. Worth saying, not damage.
void ReportLaggingHead(const std::optional<HeadRecord>& published, const HeadRecord& committed,
                       VerifyReport* report) {
  const std::string head_file(format::kHeadFileName);
  if (!published) {
    report->problems.push_back({Kind::kTornTail, head_file, 0,
                                fmt::format("HEAD is missing or not valid; the committed end was found from the frames "
                                            "(offsets up to {}); recovery (the next append, or `verify --repair`) "
                                            "rewrites it",
                                            committed.next_offset)});
  } else if (published->segment_base != committed.segment_base ||
             published->committed_end != committed.committed_end) {
    report->problems.push_back(
        {Kind::kTornTail, SegmentFileName(committed.segment_base), published->committed_end,
         fmt::format("complete batches beyond HEAD's committed end (offsets {}..{}): HEAD lags the durable frames (a "
                     "rewrite lost in a power loss, or an append that died before publishing); readers show them, "
                     "and recovery keeps them",
                     published->next_offset, committed.next_offset - 1)});
  }
}

// Scans one segment; returns the position to continue the chain from, or nullopt when the
// segment is damaged and its true end is unknown (the next segment is then taken as is,
// rather than reported as a second, spurious problem).
Result<std::optional<ScanPosition>> VerifySegment(Log::Impl& log, uint64_t base, uint64_t limit, bool active, ScanPosition from,
                                   VerifyReport* report, std::optional<ScanPosition>* newest_frame = nullptr) {
  const std::string name = SegmentFileName(base);
  SegmentHeader header;
  auto file = OpenListedSegment(log.fs(), log.dir(), base, log.meta().log_id, &header);
  if (!file) {
    // A file the system will not let us read (EACCES, EIO) says nothing about its bytes:
    // that is an error for the caller, not damage for --repair --force to set aside.
    if (file.error().code() == StatusCode::kIOError) return file.error();
    // Listed when verify began, no longer listed: a compaction removed it meanwhile (verify
    // takes no lock). Not damage; the next segment is taken as is. (One still listed but
    // not there, a dangling symlink, is damage: OpenListedSegment says so.)
    if (file.error().code() == StatusCode::kNotFound) return std::optional<ScanPosition>();
    report->problems.push_back({Kind::kCorruption, name, 0, file.error().message()});
    return std::optional<ScanPosition>();
  }
  EVLOG_ASSIGN_OR_RETURN(uint64_t size, (*file)->Size());
  // No writer lets a segment grow beyond segment_bytes, not even by a crash mid-append, so
  // such a file is damage, in the active segment too, never a torn tail (format-spec §4.2).
  // Its frames are not scanned: the file may be huge (a sparse 20 GiB file took a minute).
  if (size > log.meta().segment_bytes) {
    report->problems.push_back({Kind::kCorruption, name, log.meta().segment_bytes,
                                fmt::format("file is {} bytes, more than the log's segment size of {} bytes", size,
                                            log.meta().segment_bytes)});
    report->bytes += size;
    return std::optional<ScanPosition>();
  }
  if (!active) limit = size;
  if (limit > size) {
    report->problems.push_back({Kind::kCorruption, name, size,
                                fmt::format("file is {} bytes but {} bytes were committed", size, limit)});
    limit = size;
  }
  EVLOG_ASSIGN_OR_RETURN(auto map, (*file)->Map(size));
  std::vector<IndexEntry> expected;
  from.position = format::segment::kHeaderSize;
  from.segment_start = !active;  // a closed segment may have been rewritten (format-spec §5.6 check 13)
  ScanOutcome scan = ScanBatches(map->bytes().substr(0, limit), from, [&](const FrameHeader& h, uint64_t pos) {
    ++report->frames;
    if (h.has_events()) report->events += h.event_count;
    if (h.has_events() && FrameNeedsIndexEntry(pos, h.aligned_length())) {
      expected.push_back({h.base_offset, pos, h.first_timestamp});
    }
  });
  report->bytes += size;
  if (!scan.reached_end) {
    report->problems.push_back({Kind::kCorruption, name, scan.bad_position,
                                fmt::format("{} (offsets {})", scan.problem, AffectedOffsets(map->bytes().substr(0, limit), scan))});
  }
  if (active && size > limit && scan.reached_end) VerifyBeyondCommittedEnd(name, map->bytes(), scan.end, report);
  VerifyIndex(log, base, expected, report);
  if (!scan.reached_end) return std::optional<ScanPosition>();
  ScanPosition end = scan.end;
  if (active && newest_frame != nullptr) *newest_frame = scan.end;  // before chain_out, as HEAD holds it
  end.last_checksum = header.OutgoingChecksum(end.last_checksum);  // format-spec §9.3
  end.chain_known = end.chain_known || header.chain_out != 0;
  return std::optional(end);
}

// Whether segment `base`, which starts above the previous segment's end offset, follows that
// segment directly: key compaction removes events at a segment's end (and may empty it)
// without breaking the chain, while a lost segment breaks it (format-spec §5.6). A segment
// emptied by key compaction carries a chain_out and is taken as linked (its first frame is
// gone). One without frames and without chain_out passes the chain on unchanged (§4.1), so
// the next frame of the log decides: in a later segment, its own gap check or check 12; if
// it is the newest segment, HEAD's last_checksum, which names the log's newest frame. That
// is the state an expired tombstone removed from the end of the last closed segment leaves.
bool LinksAcrossGap(Log::Impl& log, uint64_t base, const ScanPosition& at, const HeadRecord& head) {
  SegmentHeader header;
  auto file = OpenSegment(log.fs(), log.dir(), base, log.meta().log_id, OpenMode::kReadOnly, &header);
  if (!file) return true;  // VerifySegment reports it
  auto size = (*file)->Size();
  if (!size) return true;
  if (*size <= format::segment::kHeaderSize) {
    if (header.chain_out != 0) return true;
    if (base != head.segment_base) return true;
    return at.chain_known && head.last_checksum == at.last_checksum;
  }
  auto map = (*file)->Map(*size);
  if (!map) return true;
  FrameHeader h;
  std::string why;
  if (ParseFrame((*map)->bytes(), format::segment::kHeaderSize, false, &h, &why) != FrameParse::kOk) return true;
  return at.chain_known && h.prev_checksum == at.last_checksum;
}

// Every segment file's name and size: what a compaction changes when it removes a segment
// (retention) or renames a rewritten one over it (key compaction, a smaller file).
Result<std::vector<std::pair<uint64_t, uint64_t>>> SegmentFiles(Log::Impl& impl) {
  EVLOG_ASSIGN_OR_RETURN(std::vector<uint64_t> segments, ListSegments(impl.fs(), impl.dir()));
  std::vector<std::pair<uint64_t, uint64_t>> files;
  for (uint64_t base : segments) {
    auto file = impl.fs()->Open(impl.Path(SegmentFileName(base)), OpenMode::kReadOnly);
    auto size = file ? (*file)->Size() : Result<uint64_t>(file.error());
    files.emplace_back(base, size ? *size : UINT64_MAX);
  }
  return files;
}

Result<VerifyReport> VerifyOnce(const Log& log, const VerifyProgress& progress);

}  // namespace

// Verify takes no lock, so that appends go on while it reads. A compaction that runs
// meanwhile removes or rewrites segments under it, and what it then reports (a segment
// gone, a chain that does not meet) is not damage. So damage is reported only if the
// segment files were the same before and after the pass that found it; otherwise the log
// is verified again. Real damage survives an unchanged listing; a compaction that never
// pauses leaves the last pass's report after a few tries.
Result<VerifyReport> VerifyLog(const Log& log, const VerifyProgress& progress) {
  constexpr int kPasses = 5;
  for (int pass = 1;; ++pass) {
    EVLOG_ASSIGN_OR_RETURN(auto before, SegmentFiles(*log.impl()));
    EVLOG_ASSIGN_OR_RETURN(VerifyReport report, VerifyOnce(log, progress));
    if (!report.corrupt() || pass == kPasses) return report;
    EVLOG_ASSIGN_OR_RETURN(auto after, SegmentFiles(*log.impl()));
    if (after == before) return report;
  }
}

namespace {

Result<VerifyReport> VerifyOnce(const Log& log, const VerifyProgress& progress) {
  Log::Impl& impl = *log.impl();
  VerifyReport report;
  EVLOG_ASSIGN_OR_RETURN(std::vector<uint64_t> segments, ListSegments(impl.fs(), impl.dir()));
  EVLOG_ASSIGN_OR_RETURN(std::optional<HeadRecord> published, impl.PublishedHead());
  auto committed = impl.CommittedHead();
  HeadRecord head;
  if (committed) {
    head = *committed;
    ReportLaggingHead(published, head, &report);
  } else if (committed.error().code() == StatusCode::kCorruption && published &&
             !std::binary_search(segments.begin(), segments.end(), published->segment_base)) {
    // Readers refuse a HEAD that names a missing segment (it vouches for nothing); verify
    // takes it as it is, so that the check below names the missing segment and the offsets
    // it held.
    head = *published;
  } else if (committed.error().code() == StatusCode::kCorruption && !segments.empty()) {
    // No committed end can be found (HEAD invalid and damage in the newest segment): check
    // every segment to its file size, so that the report still says where the damage is and
    // `verify --repair --force` can set that segment aside.
    auto newest = impl.fs()->Open(impl.Path(SegmentFileName(segments.back())), OpenMode::kReadOnly);
    auto size = newest ? (*newest)->Size() : Result<uint64_t>(newest.error());
    head = HeadRecord{0, segments.back(), size ? *size : 0, segments.back(), 0, 0};
    report.problems.push_back({Kind::kCorruption, SegmentFileName(segments.back()), 0,
                               committed.error().message() + " (HEAD is not valid either)"});
  } else {
    return committed.error();
  }
  // Only the first segment of a log that began at offset 0 has a known predecessor: none,
  // so its first frame chains to 0 (format-spec §5.6).
  ScanPosition at{format::segment::kHeaderSize, segments.empty() ? 0 : segments.front(), kNoTimestamp, 0,
                  !segments.empty() && segments.front() == 0};
  uint64_t total_bytes = 0;
  for (uint64_t base : segments) {
    auto file = impl.fs()->Open(impl.Path(SegmentFileName(base)), OpenMode::kReadOnly);
    auto size = file ? (*file)->Size() : Result<uint64_t>(file.error());
    if (size) total_bytes += *size;
  }
  bool end_known = true;
  std::optional<ScanPosition> active_end;  // where the active segment's frames end, its own checksum
  for (uint64_t base : segments) {
    if (progress) progress(report.bytes, total_bytes);
    if (base > head.segment_base) {
      // A roll creates its segment whole (header written and synced, then renamed into
      // place): an unpublished segment whose header does not hold is damage, which recovery
      // and appends refuse, never the leftover of an interrupted roll that repair removes.
      auto file = OpenSegment(impl.fs(), impl.dir(), base, impl.meta().log_id, OpenMode::kReadOnly);
      if (!file && file.error().code() == StatusCode::kCorruption) {
        report.problems.push_back({Kind::kCorruption, SegmentFileName(base), 0, file.error().message()});
      } else {
        report.problems.push_back({Kind::kTornTail, SegmentFileName(base), 0,
                                   "segment created by an interrupted roll (never published)"});
      }
      continue;
    }
    if (!end_known) {
      at = ScanPosition{format::segment::kHeaderSize, base, kNoTimestamp, 0, false};
    } else if (base < at.next_offset) {
      report.problems.push_back({Kind::kCorruption, SegmentFileName(base), 0,
                                 fmt::format("segment starts at offset {}, before the end of the previous one ({})",
                                             base, at.next_offset)});
      at.chain_known = false;
      at.next_offset = base;
    } else if (base > at.next_offset && LinksAcrossGap(impl, base, at, head)) {
      at.next_offset = base;  // events removed by key compaction (format-spec §4.3)
    } else if (base != at.next_offset) {
      const std::string missing = SegmentFileName(at.next_offset);
      EVLOG_ASSIGN_OR_RETURN(bool quarantined, impl.fs()->Exists(impl.Path("quarantine/" + missing)));
      report.problems.push_back(
          {quarantined ? Kind::kQuarantined : Kind::kCorruption, quarantined ? "quarantine/" + missing : SegmentFileName(base), 0,
           quarantined ? fmt::format("offsets {}..{} are in a damaged segment moved aside by a forced repair",
                                     at.next_offset, base - 1)
                       : fmt::format("segment starts at offset {}, but the previous one ends at {}: a segment is "
                                     "missing ({}, offsets {}..{})", base, at.next_offset, missing, at.next_offset,
                                     base - 1)});
      at.chain_known = false;
      at.next_offset = base;
    }
    ++report.segments;
    const bool active = base == head.segment_base;
    EVLOG_ASSIGN_OR_RETURN(std::optional<ScanPosition> end,
                           VerifySegment(impl, base, head.committed_end, active, at, &report, &active_end));
    end_known = end.has_value();
    if (end) at = *end;
  }
  if (end_known && at.next_offset != head.next_offset && !report.corrupt()) {
    // The usual cause is the newest segment deleted: name it, as the other commands do.
    if (!std::binary_search(segments.begin(), segments.end(), head.segment_base)) {
      report.problems.push_back({Kind::kCorruption, SegmentFileName(head.segment_base), 0,
                                 head.next_offset > at.next_offset
                                     ? fmt::format("missing: HEAD names it as the active segment, so offsets {}..{} "
                                                   "are lost", at.next_offset, head.next_offset - 1)
                                     : std::string("missing: HEAD names it as the active segment")});
    } else {
      report.problems.push_back({Kind::kCorruption, "HEAD", format::head::kNextOffsetAt,
                                 fmt::format("HEAD says the next offset is {}, the segments end at {}",
                                             head.next_offset, at.next_offset)});
    }
  } else if (end_known && active_end && active_end->chain_known && active_end->position > format::segment::kHeaderSize &&
             active_end->last_checksum != head.last_checksum && !report.corrupt()) {
    // The offsets agree but the newest frame is not the one HEAD names (format-spec §6.1):
    // HEAD or that frame was replaced. Writers refuse such a log; verify must say why. (The
    // frame's own checksum: a segment's chain_out is what the next segment chains to, not
    // what HEAD holds.)
    report.problems.push_back({Kind::kCorruption, "HEAD", format::head::kLastChecksumAt,
                               fmt::format("HEAD says the newest frame's checksum is {:016x}, but the segments' "
                                           "newest frame has {:016x}: HEAD or that frame was replaced",
                                           head.last_checksum, active_end->last_checksum)});
  }
  auto list = ConsumerGroups::ListIfPresent(log);
  if (!list) {
    if (list.error().code() != StatusCode::kCorruption) return list.error();  // unreadable, not damaged
    report.problems.push_back({Kind::kCorruption, "groups", 0, list.error().message()});
    return report;
  }
  report.groups = list->size();
  for (const GroupInfo& g : *list) {
    if (g.position > head.next_offset) {
      report.problems.push_back({Kind::kCorruption, "groups", 0,
                                 fmt::format("group '{}' is at offset {}, past the log's end ({})", g.name,
                                             g.position, head.next_offset)});
    }
  }
  return report;
}

}  // namespace

}  // namespace eventlog
