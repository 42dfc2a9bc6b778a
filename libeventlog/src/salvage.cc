// SalvageLog: walks each segment unit by unit (a FULL frame, a skippable record, or a whole
// FIRST..LAST batch) with the checks every reader makes (format-spec §5.6). A unit that
// passes is verified. At a unit that fails, the walk looks for the next checksum-valid frame
// (where trustworthy data may resume) and decodes whatever frames and records it can in the
// stretch between: a damaged length word ends the framing of the stretch, a damaged record
// ends its frame's records, since what follows can no longer be delimited.
#include "eventlog/salvage.h"

#include <fmt/format.h>

#include "format.h"
#include "head.h"
#include "log_impl.h"
#include "segment.h"
#include "segment_scan.h"

namespace eventlog {
namespace {

namespace f = format::frame;

class SegmentSalvage {
 public:
  SegmentSalvage(std::string name, std::string_view data, const SalvageVisitor& visit, SalvageReport* report)
      : name_(std::move(name)), data_(data), visit_(visit), report_(report) {}

  // `trusted` is false when the segment header itself failed: nothing in it is verified.
  Status Walk(uint64_t base, bool trusted) {
    if (!trusted) report_->damaged.push_back({name_, 0, data_.size(), "the segment header does not verify", 0});
    uint64_t* untrusted = trusted ? nullptr : &report_->damaged.back().events;
    ScanPosition cur{f::kHeaderSize, base, kNoTimestamp, 0, false, /*segment_start=*/true};
    while (cur.position < data_.size()) {
      std::vector<std::pair<FrameHeader, uint64_t>> unit;
      std::string why;
      ScanPosition next = cur;
      if (ReadUnit(&next, &unit, &why)) {
        for (const auto& [h, at] : unit) EVLOG_RETURN_IF_ERROR(Decode(h, at, trusted, untrusted));
        cur = next;
        continue;
      }
      const uint64_t bad = next.position;
      FrameHeader h;
      bool gave_up = false;
      const uint64_t resume = FindChecksumValidFrame(data_, bad + f::kAlignment, &h, &gave_up).value_or(data_.size());
      EVLOG_RETURN_IF_ERROR(SalvageStretch(cur.position, bad, resume, why));
      cur = ScanPosition{resume, 0, kNoTimestamp, 0, false, true, BatchState::kUnknown};
    }
    return Status::Ok();
  }

 private:
  // Reads and checks one unit from next->position; false (with *why) if any frame fails.
  bool ReadUnit(ScanPosition* next, std::vector<std::pair<FrameHeader, uint64_t>>* unit, std::string* why) {
    do {
      if (next->position >= data_.size()) {
        *why = "incomplete batch: the readable end lies inside a batch";
        return false;
      }
      FrameHeader h;
      const uint64_t at = next->position;
      FrameParse parse = ParseFrame(data_, at, /*check_body=*/true, &h, why);
      if (parse == FrameParse::kNoFrame) *why = "zero bytes where a frame should start";
      if (parse == FrameParse::kTruncated) *why = "frame cut short by the readable end";
      if (parse != FrameParse::kOk || !AdvanceInSequence(h, next, why)) return false;
      if (unit->empty() && h.has_events() && h.kind != f::kFull && h.kind != f::kFirst) {
        *why = "batch without its first frame";  // after a resynchronisation
        next->position = at;
        return false;
      }
      unit->emplace_back(h, at);
    } while (next->inside_batch());
    return true;
  }

  // Decodes what it can of the frames in [from, resume); the damage was found at `bad`.
  Status SalvageStretch(uint64_t from, uint64_t bad, uint64_t resume, const std::string& why) {
    SalvageSource source{name_, bad, resume, why, 0};
    const std::string_view stretch = data_.substr(0, resume);
    for (uint64_t q = from; q + f::kHeaderSize <= resume;) {
      FrameHeader h;
      std::string ignored;
      ParseFrame(stretch, q, /*check_body=*/false, &h, &ignored);  // fills h whatever it returns here
      if (h.length < f::kHeaderSize || h.aligned_length() > resume - q) break;  // the framing is lost
      if (h.has_events()) EVLOG_RETURN_IF_ERROR(Decode(h, q, false, &source.events));
      q += h.aligned_length();
    }
    report_->damaged.push_back(std::move(source));
    return Status::Ok();
  }

  Status Decode(const FrameHeader& h, uint64_t at, bool verified, uint64_t* decoded) {
    if (!h.has_events()) return Status::Ok();
    const char* p = data_.data() + at + f::kHeaderSize;
    const char* end = data_.data() + at + h.length;
    uint64_t last_delta = 0, last_time_delta = 0;
    bool first = true;
    while (p < end) {
      EventRecord r;
      const char* record = p;
      // A verified frame was validated whole (its deltas may have any gaps); in a damaged one a
      // record that decodes but goes backwards is damage too.
      const bool decodes = DecodeEventRecord(&p, end, &r, &headers_);
      const bool in_order = first || (r.offset_delta > last_delta && r.timestamp_delta >= last_time_delta);
      if (!decodes || (!verified && !in_order)) {
        if (verified) break;  // cannot happen: the frame was validated
        p = Resynchronise(record + 1, end, last_delta, last_time_delta);
        continue;
      }
      Event e{h.base_offset + r.offset_delta, EventTimestamp(h.first_timestamp, r.timestamp_delta), r.key, headers_,
              r.payload};
      EVLOG_RETURN_IF_ERROR(visit_(e, verified));
      ++(verified ? report_->verified_events : report_->unverified_events);
      if (decoded != nullptr) ++*decoded;
      last_delta = r.offset_delta;
      last_time_delta = r.timestamp_delta;
      first = false;
    }
    return Status::Ok();
  }

  // Whether record `r` can follow one with the given deltas (format-spec §5.6 step 10),
  // skipping at most a few damaged records.
  static bool Follows(const EventRecord& r, uint64_t last_delta, uint64_t last_time_delta) {
    constexpr uint64_t kMaxSkipped = 1024;
    return r.offset_delta > last_delta && r.offset_delta - last_delta <= kMaxSkipped &&
           r.timestamp_delta >= last_time_delta;
  }

  // After a record that does not decode, the first position in [from, end) where two records
  // in a row decode and follow the last good one: record boundaries are not marked, so a
  // damaged length loses the records up to there. `end` if there is none.
  const char* Resynchronise(const char* from, const char* end, uint64_t last_delta, uint64_t last_time_delta) {
    std::vector<HeaderView> scratch;
    for (const char* c = from; c < end; ++c) {
      const char* p = c;
      EventRecord a, b;
      if (!DecodeEventRecord(&p, end, &a, &scratch) || !Follows(a, last_delta, last_time_delta)) continue;
      if (p == end || (DecodeEventRecord(&p, end, &b, &scratch) && Follows(b, a.offset_delta, a.timestamp_delta))) {
        return c;
      }
    }
    return end;
  }

  std::string name_;
  std::string_view data_;
  const SalvageVisitor& visit_;
  SalvageReport* report_;
  std::vector<HeaderView> headers_;
};

}  // namespace

Result<SalvageReport> SalvageLog(const Log& log, const SalvageVisitor& visit) {
  Log::Impl& impl = *log.impl();
  SalvageReport report;
  auto head = impl.CommittedHead();
  EVLOG_ASSIGN_OR_RETURN(std::vector<uint64_t> segments, ListSegments(impl.fs(), impl.dir()));
  for (uint64_t base : segments) {
    if (head && base > head->segment_base) break;  // an unpublished roll holds nothing committed
    const std::string name = SegmentFileName(base);
    auto file = OpenSegment(impl.fs(), impl.dir(), base, impl.meta().log_id, OpenMode::kReadOnly);
    const bool trusted = file.has_value();
    if (!file) file = impl.fs()->Open(impl.Path(name), OpenMode::kReadOnly);
    if (!file) {
      report.damaged.push_back({name, 0, 0, file.error().message(), 0});
      continue;
    }
    EVLOG_ASSIGN_OR_RETURN(uint64_t size, (*file)->Size());
    const uint64_t limit = head && base == head->segment_base ? std::min(size, head->committed_end) : size;
    if (limit <= f::kHeaderSize) continue;
    EVLOG_ASSIGN_OR_RETURN(auto map, (*file)->Map(limit));
    SegmentSalvage salvage(name, map->bytes().substr(0, limit), visit, &report);
    EVLOG_RETURN_IF_ERROR(salvage.Walk(base, trusted));
  }
  return report;
}

}  // namespace eventlog
