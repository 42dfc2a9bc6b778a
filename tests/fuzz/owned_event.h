// An event copied out of the views a reader hands out (which its next call invalidates), so
// that what two readers returned can be compared, and handed back to a writer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "eventlog/event.h"

namespace eventlog::fuzz {

struct OwnedEvent {
  uint64_t offset = 0;
  int64_t timestamp = 0;
  std::optional<std::string> key;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string payload;
  bool operator==(const OwnedEvent&) const = default;
};

inline OwnedEvent Own(const Event& e) {
  OwnedEvent owned{e.offset, e.timestamp_ns, std::nullopt, {}, std::string(e.payload)};
  if (e.key) owned.key = std::string(*e.key);
  for (const HeaderView& h : e.headers) owned.headers.emplace_back(h.name, h.value);
  return owned;
}

// The event as views into `owned`; `headers` receives the header views and must outlive them.
inline Event View(const OwnedEvent& owned, std::vector<HeaderView>* headers) {
  headers->clear();
  for (const auto& [name, value] : owned.headers) headers->push_back({name, value});
  Event e{owned.offset, owned.timestamp, std::nullopt, *headers, owned.payload};
  if (owned.key) e.key = *owned.key;
  return e;
}

}  // namespace eventlog::fuzz
