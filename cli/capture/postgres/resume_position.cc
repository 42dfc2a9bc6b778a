#include "capture/postgres/resume_position.h"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "capture/postgres/replication_messages.h"

namespace evlog::pg {

using eventlog::Result;
using eventlog::Status;

namespace {

constexpr uint64_t kFirstWindow = 1024;

std::optional<std::string_view> Header(const eventlog::Event& event, std::string_view name) {
  for (const eventlog::HeaderView& header : event.headers)
    if (header.name == name) return header.value;
  return std::nullopt;
}

// Calls visit(event, lsn) for each event of `source_id` among offsets [from, to), in order,
// with its evlog.lsn. kCorruption for such an event whose evlog.lsn is missing or no LSN.
template <typename Visit>
Status VisitChanges(const eventlog::Log& log, const std::string& source_id, uint64_t from, uint64_t to,
                    Visit visit) {
  EVLOG_ASSIGN_OR_RETURN(auto reader, log.NewReader());
  EVLOG_RETURN_IF_ERROR(reader->SeekToOffset(from));
  eventlog::Event event;
  while (reader->position() < to) {
    EVLOG_ASSIGN_OR_RETURN(bool more, reader->Next(&event));
    if (!more || event.offset >= to) break;
    if (Header(event, "evlog.source_id") != source_id) continue;
    const auto lsn_text = Header(event, "evlog.lsn");
    if (!lsn_text) return Status::Corruption(fmt::format("offset {}: a change of {} without evlog.lsn", event.offset, source_id));
    const auto lsn = ParseLsn(*lsn_text);
    if (!lsn) return Status::Corruption(fmt::format("offset {}: evlog.lsn {} is no LSN", event.offset, *lsn_text));
    visit(event, *lsn);
  }
  return Status::Ok();
}

// Reads the log backwards from its end in windows [from, to) that double in size, calling
// decide(from, to) on each until it returns true or the log's start is reached. A relay
// that restarts on a log it feeds reads only its tail.
template <typename Decide>
Status SearchBackwards(const eventlog::Log& log, Decide decide) {
  EVLOG_ASSIGN_OR_RETURN(eventlog::LogInfo info, log.Info());
  uint64_t end = info.next_offset;
  for (uint64_t window = kFirstWindow; end > info.first_offset; window *= 2) {
    const uint64_t from = end - std::min(window, end - info.first_offset);
    EVLOG_ASSIGN_OR_RETURN(bool decided, decide(from, end));
    if (decided) break;
    end = from;
  }
  return Status::Ok();
}

}  // namespace

Result<bool> HoldsTransaction(const eventlog::Log& log, const std::string& source_id, Lsn commit_lsn, uint32_t xid) {
  const std::string xid_text = std::to_string(xid);
  bool found = false;
  EVLOG_RETURN_IF_ERROR(SearchBackwards(log, [&](uint64_t from, uint64_t to) -> Result<bool> {
    std::optional<Lsn> smallest;
    EVLOG_RETURN_IF_ERROR(VisitChanges(log, source_id, from, to, [&](const eventlog::Event& event, Lsn lsn) {
      if (!smallest || lsn < *smallest) smallest = lsn;
      if (lsn == commit_lsn && Header(event, "evlog.xid") == xid_text) found = true;
    }));
    return found || (smallest && *smallest < commit_lsn);  // or read past where it would be
  }));
  return found;
}

Result<Lsn> LastCapturedLsn(const eventlog::Log& log, const std::string& source_id) {
  std::optional<Lsn> last;
  EVLOG_RETURN_IF_ERROR(SearchBackwards(log, [&](uint64_t from, uint64_t to) -> Result<bool> {
    EVLOG_RETURN_IF_ERROR(VisitChanges(log, source_id, from, to, [&](const eventlog::Event& event, Lsn lsn) {
      // A snapshot row's lsn is the slot's consistent point, where decoding starts: a
      // transaction whose commit record starts exactly there was not in the snapshot, and is
      // streamed. Only commits before it are in the log.
      last = Header(event, "evlog.op") == "r" && lsn > 0 ? lsn - 1 : lsn;
    }));
    // A source's commit LSNs increase through the log, so the last one found is the largest.
    return last.has_value();
  }));
  return last.value_or(0);
}

}  // namespace evlog::pg
