// Turning one input record into the event to append: the record is the payload, or is
// split at --key-delimiter into key and payload, or is a JSON envelope (--json); the
// --header values are added to every event.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "eventlog/event.h"
#include "eventlog/status.h"
#include "codec/json_envelope.h"

namespace evlog {

struct EventBuilderOptions {
  bool json = false;
  std::string key_delimiter;  // empty: records carry no key
  std::vector<std::pair<std::string, std::string>> headers;
};

class EventBuilder {
 public:
  explicit EventBuilder(EventBuilderOptions options);
  EventBuilder(const EventBuilder&) = delete;
  EventBuilder& operator=(const EventBuilder&) = delete;

  const EventBuilderOptions& options() const { return options_; }
  // True for records that carry no event: blank lines between JSON envelopes.
  bool Skips(std::string_view record) const;

  // Fills *event. Its views point into `record` and into this builder: valid until the
  // next Build(). kInvalidArgument for a bad JSON envelope.
  eventlog::Status Build(std::string_view record, eventlog::EventInput* event);

 private:
  EventBuilderOptions options_;
  std::vector<eventlog::HeaderView> header_views_;
  DecodedEnvelope envelope_;
};

}  // namespace evlog
