#include "codec/event_builder.h"

#include <algorithm>

namespace evlog {

EventBuilder::EventBuilder(EventBuilderOptions options) : options_(std::move(options)) {
  for (const auto& [name, value] : options_.headers) header_views_.push_back({name, value});
}

bool EventBuilder::Skips(std::string_view record) const {
  return options_.json && std::all_of(record.begin(), record.end(),
                                      [](char c) { return c == ' ' || c == '\t' || c == '\r'; });
}

eventlog::Status EventBuilder::Build(std::string_view record, eventlog::EventInput* event) {
  if (options_.json) {
    EVLOG_RETURN_IF_ERROR(DecodeEnvelope(record, &envelope_));
    header_views_.clear();
    for (const auto& [name, value] : envelope_.headers) header_views_.push_back({name, value});
    for (const auto& [name, value] : options_.headers) header_views_.push_back({name, value});
    event->key = envelope_.has_key ? std::optional<std::string_view>(envelope_.key) : std::nullopt;
    event->headers = header_views_;
    event->payload = envelope_.payload;
    return eventlog::Status::Ok();
  }
  event->key = std::nullopt;
  event->headers = header_views_;
  event->payload = record;
  if (!options_.key_delimiter.empty()) {
    // As kcat -K: split at the first delimiter; a record without one has no key.
    size_t at = record.find(options_.key_delimiter);
    if (at != std::string_view::npos) {
      event->key = record.substr(0, at);
      event->payload = record.substr(at + options_.key_delimiter.size());
    }
  }
  return eventlog::Status::Ok();
}

}  // namespace evlog
