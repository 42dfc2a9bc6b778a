#include "bridge/bridge_headers.h"

#include <charconv>


namespace evlog {

BridgeHeaderValues::BridgeHeaderValues(uint64_t offset, int64_t timestamp_ns) {
  offset_size_ = std::to_chars(offset_, offset_ + sizeof offset_, offset).ptr - offset_;
  timestamp_size_ = std::to_chars(timestamp_, timestamp_ + sizeof timestamp_, timestamp_ns).ptr - timestamp_;
}

bool IsBridgeHeader(std::string_view name) {
  return name == kLogIdHeader || name == kOffsetHeader || name == kTimestampHeader;
}

size_t TrailingBridgeHeaders(std::span<const eventlog::HeaderView> headers) {
  size_t count = 0;
  bool seen[3] = {false, false, false};
  while (count < headers.size()) {
    const std::string_view name = headers[headers.size() - 1 - count].name;
    const int which = name == kLogIdHeader ? 0 : name == kOffsetHeader ? 1 : name == kTimestampHeader ? 2 : -1;
    if (which < 0 || seen[which]) break;
    seen[which] = true;
    ++count;
  }
  return count;
}

std::optional<int64_t> ParseBridgeTimestamp(std::string_view value) {
  int64_t parsed = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), parsed);
  if (ec != std::errc() || end != value.data() + value.size() || value.empty()) return std::nullopt;
  return parsed;
}

}  // namespace evlog
