// Remote messages on their way into a log: collected, then appended as one atomic, durable
// batch. The bridge headers of a message (bridge_headers.h) are dropped; its evlog.timestamp
// becomes the event's timestamp, so that a log relayed out and back in keeps its times.
// Which headers are the bridge's is the engine's to say: an event may carry a header of its
// own named evlog.offset, and that one is kept.
//
// Timestamps in a log never decrease and are never in the future, so a kept timestamp is
// clamped between the log's last timestamp and now; a message without one gets now. The
// batch is built with preset offsets from the log's next offset and appended with that
// offset expected: if another process appended meanwhile, it is rebuilt and tried again.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "eventlog/event.h"
#include "eventlog/log.h"
#include "eventlog/status.h"

namespace evlog {

// Where a message came from, for errors: "partition 3 offset 17", "stream sequence 42".
struct MessageOrigin {
  int32_t partition = -1;  // -1: the engine has no partitions
  uint64_t position = 0;   // Kafka offset, JetStream stream sequence
};

class LocalAppender {
 public:
  explicit LocalAppender(eventlog::Log& log);

  // Copies one message: its key, its own `headers` (all kept) and payload; of the
  // `bridge_headers` the engine found on it (bridge_headers.h), only evlog.timestamp is
  // used. The views need to live only during the call. kInvalidArgument, naming `origin`,
  // for a message the log cannot store (larger than its maximum event size): the bridge
  // stops there rather than skip it.
  eventlog::Status Add(std::optional<std::string_view> key, std::span<const eventlog::HeaderView> headers,
                       std::span<const eventlog::HeaderView> bridge_headers, std::string_view payload,
                       MessageOrigin origin);

  // Whether to stop fetching and Commit() first: the batch is near the size a batch may
  // have (a segment) or the bridge's memory bound.
  bool full() const;
  bool empty() const { return messages_.empty(); }
  size_t size() const { return messages_.size(); }

  // Appends every message added since the last Commit() as one batch, durably; clears.
  eventlog::Result<eventlog::AppendResult> Commit();

  uint64_t appended() const { return appended_; }

 private:
  struct Message {
    std::optional<std::string> key;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string payload;
    std::optional<int64_t> timestamp_ns;
    MessageOrigin origin;
  };
  eventlog::Status TooLarge(const MessageOrigin& origin, uint64_t size) const;
  eventlog::Status BuildBatch(const eventlog::LogInfo& info, eventlog::Batch& batch) const;

  eventlog::Log& log_;
  std::vector<Message> messages_;
  uint64_t bytes_ = 0;
  uint64_t full_bytes_;
  uint64_t max_event_bytes_;
  uint64_t appended_ = 0;
};

std::string DescribeOrigin(const MessageOrigin& origin);

}  // namespace evlog
