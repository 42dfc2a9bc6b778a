#include "capture/relay_resume.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

namespace evlog {

using eventlog::Result;
using eventlog::Status;

namespace {

// The event's outbox id if it is a change of `source_id`.
std::optional<int64_t> OutboxIdOf(const eventlog::Event& event, const std::string& source_id) {
  bool ours = false;
  std::optional<int64_t> id;
  for (const eventlog::HeaderView& header : event.headers) {
    if (header.name == "evlog.source_id") ours = header.value == source_id;
    if (header.name == "evlog.outbox_id") {
      int64_t value;
      auto [ptr, ec] = std::from_chars(header.value.data(), header.value.data() + header.value.size(), value);
      if (ec == std::errc() && ptr == header.value.data() + header.value.size()) id = value;
    }
  }
  return ours ? id : std::nullopt;
}

}  // namespace

Result<RelayedSoFar> FindRelayed(const eventlog::Log& log, const std::string& source_id,
                                 std::optional<uint64_t> from, int64_t keep_after) {
  EVLOG_ASSIGN_OR_RETURN(auto reader, log.NewReader());
  if (from) EVLOG_RETURN_IF_ERROR(reader->SeekToOffset(*from));
  RelayedSoFar found;
  eventlog::Event event;
  for (;;) {
    EVLOG_ASSIGN_OR_RETURN(bool more, reader->Next(&event));
    if (!more) break;
    const std::optional<int64_t> id = OutboxIdOf(event, source_id);
    if (!id) continue;
    found.largest_outbox_id = std::max(found.largest_outbox_id, *id);
    if (*id > keep_after) found.payloads[*id] = event.payload;
  }
  found.next_offset = reader->position();
  return found;
}

}  // namespace evlog
