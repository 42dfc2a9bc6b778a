// The headers a bridge adds to every message it relays out of a log, and strips from every
// message it relays into one (format-spec/bridge.md §B2):
//   evlog.log_id     the source log's identity (32 hex digits)
//   evlog.offset     the event's offset in that log (decimal)
//   evlog.timestamp  the event's timestamp, nanoseconds since the epoch (decimal)
// The event's own headers travel unchanged beside them. Relaying back in, the timestamp is
// kept (so that log -> remote -> log preserves export output, offsets aside), the rest is
// dropped: the receiving log assigns its own offsets.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <span>
#include <string_view>

#include "eventlog/event.h"

namespace evlog {

inline constexpr std::string_view kLogIdHeader = "evlog.log_id";
inline constexpr std::string_view kOffsetHeader = "evlog.offset";
inline constexpr std::string_view kTimestampHeader = "evlog.timestamp";

// The values of the three headers for one event, formatted without allocating.
struct BridgeHeaderValues {
  BridgeHeaderValues(uint64_t offset, int64_t timestamp_ns);
  std::string_view offset() const { return {offset_, offset_size_}; }
  std::string_view timestamp() const { return {timestamp_, timestamp_size_}; }

 private:
  char offset_[24];
  char timestamp_[24];
  size_t offset_size_;
  size_t timestamp_size_;
};

bool IsBridgeHeader(std::string_view name);

// How many of the last headers are the bridge's: the longest run at the end of `headers`
// of bridge header names, each at most once. An event's own header that happens to have
// such a name comes before them, so it is kept (an engine that keeps header order, Kafka,
// finds them this way; NATS marks them in its encoding instead).
size_t TrailingBridgeHeaders(std::span<const eventlog::HeaderView> headers);

// The value of an evlog.timestamp header, or nullopt unless it is a decimal integer that fits.
std::optional<int64_t> ParseBridgeTimestamp(std::string_view value);

}  // namespace evlog
