// The dead-letter log of `replay --dead-letter DLLOG`: where an event goes that its command
// rejected (exit 65) or failed on every attempt, so that replay can go on without losing it.
//
// Each event is appended with its key, headers and payload unchanged, followed by four
// headers that say where it came from and why it is here:
//   evlog-source-log     the absolute path of the log replayed
//   evlog-source-offset  its offset there
//   evlog-attempts       how many times the command ran
//   evlog-last-status    how the last run ended: "exit 65", "signal 9", "timeout"
// Appends are durable (fdatasync) when Append returns, before replay acks the event.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "eventlog/log.h"
#include "replay/replay_input.h"

namespace evlog {

class DeadLetterLog {
 public:
  // Opens DLLOG, creating it if missing with room for any event of the source log and the
  // four headers added to it: the source's maximum event size plus kHeadersRoom and the
  // source path's length, and a segment size that holds such an event. A DLLOG created
  // smaller (by an older evlog, or by hand) is used with a warning: an event near the
  // source's limit may not fit it, and replay would stop there. kInvalidArgument if DLLOG
  // is the source log itself.
  static eventlog::Result<std::unique_ptr<DeadLetterLog>> Open(const std::string& dir,
                                                               const eventlog::Log& source,
                                                               std::string source_path);

  // Room for the added headers besides the source path: their names, the offset, attempt
  // count and status, and their length prefixes, with a wide margin.
  static constexpr uint64_t kHeadersRoom = 1024;
  // The longest last_status kept whole; a longer one is cut to this, so that it stays
  // within kHeadersRoom.
  static constexpr size_t kMaxStatusBytes = 512;

  eventlog::Status Append(std::span<const OwnedEvent> events, int attempts,
                          std::string_view last_status);

 private:
  DeadLetterLog(std::unique_ptr<eventlog::Log> log, std::string source_path)
      : log_(std::move(log)), source_path_(std::move(source_path)) {}

  eventlog::Status Add(eventlog::Batch& batch, const OwnedEvent& event, std::string_view attempts,
                       std::string_view last_status);

  std::unique_ptr<eventlog::Log> log_;
  std::string source_path_;
};

}  // namespace evlog
