// Events as the caller hands them in (EventInput) and as a Reader hands them out (Event).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace eventlog {

struct HeaderView {
  std::string_view name;
  std::string_view value;
};

// An event to append. All views must stay valid for the duration of Batch::Add(), which
// copies the bytes. A missing key (nullopt) and an empty key are different things.
struct EventInput {
  std::optional<std::string_view> key;
  std::span<const HeaderView> headers;
  std::string_view payload;
};

// An event read from the log. Its views point into the reader's buffer of segment bytes
// (or, for a frame of more than 16 MiB, its mapping of the segment) and into its header
// buffer: they are valid only until the next call on that Reader.
struct Event {
  uint64_t offset = 0;
  int64_t timestamp_ns = 0;  // nanoseconds since the Unix epoch, assigned at append
  std::optional<std::string_view> key;
  std::span<const HeaderView> headers;
  std::string_view payload;
};

}  // namespace eventlog
