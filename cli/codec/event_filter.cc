#include "codec/event_filter.h"

#include <algorithm>

namespace evlog {

eventlog::Result<EventFilter> EventFilter::Compile(const EventFilterOptions& options) {
  EventFilter filter;
  for (const std::string& pattern : options.keys) {
    auto glob = KeyGlob::Compile(pattern);
    if (!glob) return eventlog::Status::InvalidArgument("--key '" + pattern + "': " + glob.error().message());
    filter.keys_.push_back(std::move(*glob));
  }
  for (const std::string& header : options.headers) {
    size_t eq = header.find('=');
    if (eq == 0 || header.empty()) {
      return eventlog::Status::InvalidArgument("--header '" + header + "': the header name is empty");
    }
    if (eq == std::string::npos) {
      filter.headers_.push_back({header, std::nullopt});
    } else {
      filter.headers_.push_back({header.substr(0, eq), header.substr(eq + 1)});
    }
  }
  if (options.grep) {
    auto regex = PayloadRegex::Compile(*options.grep);
    if (!regex) return eventlog::Status::InvalidArgument("--grep '" + *options.grep + "': " + regex.error().message());
    filter.grep_ = std::move(*regex);
  }
  return filter;
}

bool EventFilter::Matches(const eventlog::Event& event) const {
  if (!keys_.empty()) {
    if (!event.key) return false;
    const std::string_view key = *event.key;
    if (std::none_of(keys_.begin(), keys_.end(), [key](const KeyGlob& g) { return g.Matches(key); })) return false;
  }
  for (const HeaderTest& test : headers_) {
    bool found = std::any_of(event.headers.begin(), event.headers.end(), [&test](const eventlog::HeaderView& h) {
      return h.name == test.name && (!test.value || h.value == *test.value);
    });
    if (!found) return false;
  }
  // Last: the regex is the costly test, spared for events the others already refused.
  if (grep_) {
    switch (grep_->Search(event.payload)) {
      case PayloadRegex::Outcome::kMatch: return true;
      case PayloadRegex::Outcome::kNoMatch: return false;
      case PayloadRegex::Outcome::kLimitExceeded:
        if (undecided_++ == 0) first_undecided_offset_ = event.offset;
        return false;
    }
  }
  return true;
}

}  // namespace evlog
