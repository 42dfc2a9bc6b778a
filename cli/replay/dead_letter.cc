#include "replay/dead_letter.h"

#include <vector>

namespace evlog {

using eventlog::Status;

eventlog::Result<std::unique_ptr<DeadLetterLog>> DeadLetterLog::Open(const std::string& dir,
                                                                     const eventlog::Log& source,
                                                                     std::string source_path) {
  EVLOG_ASSIGN_OR_RETURN(eventlog::LogInfo info, source.Info());
  eventlog::LogOptions options{
      .create_if_missing = true,
      .limits = {.segment_bytes = info.segment_bytes, .max_event_bytes = info.max_event_bytes},
      .fs = nullptr};
  EVLOG_ASSIGN_OR_RETURN(std::unique_ptr<eventlog::Log> log, eventlog::Log::Open(dir, options));
  // Replaying with -f into itself would never end: each dead letter is a new event to replay.
  if (log->log_id() == source.log_id()) {
    return Status::InvalidArgument("the dead-letter log " + dir + " is the log being replayed");
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
  headers.push_back({"evlog-last-status", last_status});
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
