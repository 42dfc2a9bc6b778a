#include "bridge/local_appender.h"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "bridge/bridge_headers.h"

namespace evlog {

using eventlog::Result;
using eventlog::Status;

namespace {

// At most this much is held in memory between two appends: it bounds the bridge's memory
// and the work a crash makes it repeat, and is far above what amortises one fdatasync.
constexpr uint64_t kMaxPendingBytes = 16ull << 20;
constexpr size_t kMaxPendingMessages = 50'000;
// How often a batch is rebuilt when other processes keep appending between our Info() and
// Append(): each round is one append of theirs, so this is never reached in practice.
constexpr int kMaxConflictRetries = 1000;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::string DescribeOrigin(const MessageOrigin& origin) {
  return origin.partition >= 0 ? fmt::format("partition {} offset {}", origin.partition, origin.position)
                               : fmt::format("stream sequence {}", origin.position);
}

Status LocalAppender::TooLarge(const MessageOrigin& origin, uint64_t size) const {
  return Status::InvalidArgument(fmt::format(
      "the message at {} holds at least {} bytes, more than this log's maximum event size of {} bytes; it was not "
      "appended and nothing after it was (create the log with a larger --max-event-bytes)",
      DescribeOrigin(origin), size, max_event_bytes_));
}

LocalAppender::LocalAppender(eventlog::Log& log) : log_(log) {
  auto info = log.Info();
  const uint64_t segment = info ? info->segment_bytes : eventlog::LogLimits::kDefaultSegmentBytes;
  max_event_bytes_ = info ? info->max_event_bytes : eventlog::LogLimits::kDefaultMaxEventBytes;
  // Half a segment leaves room for the frame overhead of a batch that fills the rest.
  full_bytes_ = std::min(kMaxPendingBytes, segment / 2);
}

Status LocalAppender::Add(std::optional<std::string_view> key, std::span<const eventlog::HeaderView> headers,
                          std::span<const eventlog::HeaderView> bridge_headers, std::string_view payload,
                          MessageOrigin origin) {
  Message message;
  for (const eventlog::HeaderView& header : bridge_headers) {
    if (header.name == kTimestampHeader) message.timestamp_ns = ParseBridgeTimestamp(header.value);
  }
  // The exact size, as Batch::AddAt will check it, before anything is copied (a message of
  // a million empty headers is refused here): a message refused only at Commit() would fail
  // the whole round, and the messages before it would never be appended (a review found
  // every rerun stopping there with nothing appended).
  const uint64_t size = eventlog::Batch::EventBytes({.key = key, .headers = headers, .payload = payload});
  if (size > max_event_bytes_) return TooLarge(origin, size);
  for (const eventlog::HeaderView& header : headers) message.headers.emplace_back(header.name, header.value);
  if (key) message.key.emplace(*key);
  message.payload.assign(payload);
  message.origin = origin;
  bytes_ += size + 32 * (1 + message.headers.size());
  messages_.push_back(std::move(message));
  return Status::Ok();
}

bool LocalAppender::full() const { return bytes_ >= full_bytes_ || messages_.size() >= kMaxPendingMessages; }

Status LocalAppender::BuildBatch(const eventlog::LogInfo& info, eventlog::Batch& batch) const {
  const int64_t now = NowNs();
  int64_t previous = info.last_timestamp_ns;
  std::vector<eventlog::HeaderView> headers;
  for (size_t i = 0; i < messages_.size(); ++i) {
    const Message& m = messages_[i];
    // Kept when it fits between the log's last timestamp and now; a timestamp from the
    // future would hold back every later event's clock in this log.
    const int64_t timestamp = std::clamp(m.timestamp_ns.value_or(now), previous, std::max(previous, now));
    headers.clear();
    for (const auto& [name, value] : m.headers) headers.push_back({name, value});
    eventlog::EventInput input{.key = m.key ? std::optional<std::string_view>(*m.key) : std::nullopt,
                               .headers = headers,
                               .payload = m.payload};
    Status added = batch.AddAt(input, info.next_offset + i, timestamp);
    if (!added.ok()) return added.WithContext(fmt::format("message at {}", DescribeOrigin(m.origin)));
    previous = timestamp;
  }
  return Status::Ok();
}

Result<eventlog::AppendResult> LocalAppender::Commit() {
  if (messages_.empty()) return eventlog::AppendResult{};
  eventlog::Batch batch = log_.NewBatch();
  for (int attempt = 0;; ++attempt) {
    EVLOG_ASSIGN_OR_RETURN(eventlog::LogInfo info, log_.Info());
    batch.Clear();
    EVLOG_RETURN_IF_ERROR(BuildBatch(info, batch));
    Result<eventlog::AppendResult> appended = log_.Append(batch, {.sync = true, .expect_next = info.next_offset});
    if (appended) {
      appended_ += appended->count;
      messages_.clear();
      bytes_ = 0;
      return appended;
    }
    if (appended.error().code() != eventlog::StatusCode::kConflict || attempt == kMaxConflictRetries)
      return appended.error();
  }
}

}  // namespace evlog
