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

// The last evlog.lsn of `source_id` among offsets [from, to).
Result<std::optional<Lsn>> LastInRange(const eventlog::Log& log, const std::string& source_id, uint64_t from,
                                       uint64_t to) {
  EVLOG_ASSIGN_OR_RETURN(auto reader, log.NewReader());
  EVLOG_RETURN_IF_ERROR(reader->SeekToOffset(from));
  std::optional<Lsn> last;
  eventlog::Event event;
  while (reader->position() < to) {
    EVLOG_ASSIGN_OR_RETURN(bool more, reader->Next(&event));
    if (!more) break;
    if (event.offset >= to) break;
    if (Header(event, "evlog.source_id") != source_id) continue;
    const auto lsn_text = Header(event, "evlog.lsn");
    if (!lsn_text) return Status::Corruption(fmt::format("offset {}: a change of {} without evlog.lsn", event.offset, source_id));
    auto lsn = ParseLsn(*lsn_text);
    if (!lsn) return Status::Corruption(fmt::format("offset {}: evlog.lsn {} is no LSN", event.offset, *lsn_text));
    // A snapshot row's lsn is the slot's consistent point, where decoding starts: a
    // transaction whose commit record starts exactly there was not in the snapshot, and is
    // streamed. Only commits before it are in the log.
    last = Header(event, "evlog.op") == "r" && *lsn > 0 ? *lsn - 1 : *lsn;
  }
  return last;
}

// In [from, to): whether an event of `source_id` has evlog.lsn `lsn` and evlog.xid `xid`,
// and the smallest evlog.lsn of that source seen.
struct TransactionSearch {
  bool found = false;
  std::optional<Lsn> smallest;
};
Result<TransactionSearch> SearchRange(const eventlog::Log& log, const std::string& source_id, Lsn lsn,
                                      const std::string& xid, uint64_t from, uint64_t to) {
  EVLOG_ASSIGN_OR_RETURN(auto reader, log.NewReader());
  EVLOG_RETURN_IF_ERROR(reader->SeekToOffset(from));
  TransactionSearch search;
  eventlog::Event event;
  while (reader->position() < to) {
    EVLOG_ASSIGN_OR_RETURN(bool more, reader->Next(&event));
    if (!more || event.offset >= to) break;
    if (Header(event, "evlog.source_id") != source_id) continue;
    const auto lsn_text = Header(event, "evlog.lsn");
    if (!lsn_text) continue;
    const auto event_lsn = ParseLsn(*lsn_text);
    if (!event_lsn) continue;
    if (!search.smallest || *event_lsn < *search.smallest) search.smallest = *event_lsn;
    if (*event_lsn == lsn && Header(event, "evlog.xid") == xid) search.found = true;
  }
  return search;
}

}  // namespace

Result<bool> HoldsTransaction(const eventlog::Log& log, const std::string& source_id, Lsn commit_lsn, uint32_t xid) {
  EVLOG_ASSIGN_OR_RETURN(eventlog::LogInfo info, log.Info());
  const std::string xid_text = std::to_string(xid);
  uint64_t end = info.next_offset;
  uint64_t window = kFirstWindow;
  while (end > info.first_offset) {
    const uint64_t from = end - std::min(window, end - info.first_offset);
    EVLOG_ASSIGN_OR_RETURN(TransactionSearch search, SearchRange(log, source_id, commit_lsn, xid_text, from, end));
    if (search.found) return true;
    if (search.smallest && *search.smallest < commit_lsn) return false;  // read past where it would be
    end = from;
    window *= 2;
  }
  return false;
}

Result<Lsn> LastCapturedLsn(const eventlog::Log& log, const std::string& source_id) {
  EVLOG_ASSIGN_OR_RETURN(eventlog::LogInfo info, log.Info());
  uint64_t end = info.next_offset;
  uint64_t window = kFirstWindow;
  while (end > info.first_offset) {
    const uint64_t from = end - std::min(window, end - info.first_offset);
    EVLOG_ASSIGN_OR_RETURN(std::optional<Lsn> last, LastInRange(log, source_id, from, end));
    // A source's commit LSNs increase through the log, so the last one found is the largest.
    if (last) return *last;
    end = from;
    window *= 2;
  }
  return Lsn{0};
}

}  // namespace evlog::pg
