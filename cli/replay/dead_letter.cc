#include "replay/dead_letter.h"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "term/report.h"

namespace evlog {

using eventlog::Status;

namespace {

constexpr char kReplayCommandName[] = "replay";

}  // namespace

eventlog::Result<std::unique_ptr<DeadLetterLog>> DeadLetterLog::Open(const std::string& dir,
                                                                     const eventlog::Log& source,
                                                                     std::string source_path) {
  EVLOG_ASSIGN_OR_RETURN(eventlog::LogInfo info, source.Info());
  // An event of the source's largest size must still fit once the headers are added;
  // created with the source's own limit, such an event could never be dead-lettered, and
  // replay would stop at it on every run.
  const uint64_t needed = info.max_event_bytes + kHeadersRoom + source_path.size();
  using eventlog::LogLimits;
  uint64_t segment_bytes = info.segment_bytes;  // larger only if such an event needs it
  while (LogLimits::MaxEventBytesFor(segment_bytes) < needed && segment_bytes < LogLimits::kMaxSegmentBytes) {
    segment_bytes = std::min(segment_bytes * 2, LogLimits::kMaxSegmentBytes);
  }
  eventlog::LogOptions options{
      .create_if_missing = true,
      .limits = {.segment_bytes = segment_bytes,
                 .max_event_bytes = std::min(needed, LogLimits::MaxEventBytesFor(segment_bytes))},
      .fs = nullptr};
  EVLOG_ASSIGN_OR_RETURN(std::unique_ptr<eventlog::Log> log, eventlog::Log::Open(dir, options));
  // Replaying with -f into itself would never end: each dead letter is a new event to replay.
  if (log->log_id() == source.log_id()) {
    return Status::InvalidArgument("the dead-letter log " + dir + " is the log being replayed");
  }
  EVLOG_ASSIGN_OR_RETURN(eventlog::LogInfo dead_info, log->Info());
  // Only where a new directory would take larger events (at the largest segment size, none
  // does): what it would be created with is at most `needed`.
  if (dead_info.max_event_bytes < options.limits.max_event_bytes) {
    PrintError(kReplayCommandName,
               fmt::format("warning: the dead-letter log {} takes events of up to {} bytes, but an event of the "
                           "source log with the dead-letter headers may take {}: replay stops at an event that "
                           "does not fit (use a new dead-letter directory, which is created large enough)",
                           dir, dead_info.max_event_bytes, needed));
  }
  return std::unique_ptr<DeadLetterLog>(new DeadLetterLog(std::move(log), std::move(source_path)));
}

Status DeadLetterLog::Add(eventlog::Batch& batch, const OwnedEvent& event,
                          std::string_view attempts, std::string_view last_status) {
  std::vector<eventlog::HeaderView> headers;
  for (const auto& [name, value] : event.headers) headers.push_back({name, value});
  const std::string offset = std::to_string(event.offset);
  headers.push_back({"evlog-source-log", source_path_});
  headers.push_back({"evlog-source-offset", offset});
  headers.push_back({"evlog-attempts", attempts});
  headers.push_back({"evlog-last-status", last_status.substr(0, kMaxStatusBytes)});
  eventlog::EventInput input{.key = std::nullopt, .headers = headers, .payload = event.payload};
  if (event.key) input.key = *event.key;
  return batch.Add(input).WithContext("dead-lettering offset " + offset);
}

Status DeadLetterLog::Append(std::span<const OwnedEvent> events, int attempts,
                             std::string_view last_status) {
  const std::string attempts_text = std::to_string(attempts);
  eventlog::Batch batch = log_->NewBatch();
  for (const OwnedEvent& event : events) {
    Status added = Add(batch, event, attempts_text, last_status);
    // A batch that would outgrow a segment is committed, and the event goes in the next.
    if (!added.ok() && !batch.empty()) {
      EVLOG_RETURN_IF_ERROR(log_->Append(batch).status());
      batch.Clear();
      added = Add(batch, event, attempts_text, last_status);
    }
    EVLOG_RETURN_IF_ERROR(added);
  }
  return log_->Append(batch).status().WithContext(log_->dir());
}

}  // namespace evlog
