// An event as NATS headers and back (format-spec/bridge.md §B4). NATS headers are lines of
// text: a name is a token, a value has no CR or LF and loses its leading and trailing
// blanks, and libnats cannot carry an empty value. What cannot travel as it is goes in a
// base64 form instead, so that every key and header survives the trip:
//   evlog.key: K                    a key that is safe text (IsSafeNatsValue)
//   evlog.key-base64: B64           any other non-empty key
//   evlog.key-empty: true           the empty key (no key at all: none of the three)
//   NAME: VALUE                     a header whose name and value are safe
//   evlog.header-base64: B64N,B64V  any other header (name and value each in base64)
//   evlog.header-order: N1 N2 ...   the wire names in the event's order, when there are two
//                                   or more different ones (NATS groups values by name)
// No libnats here: the engine copies these pairs into a natsMsg and reads them back.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "eventlog/event.h"
#include "eventlog/status.h"

namespace evlog {

inline constexpr std::string_view kNatsKeyHeader = "evlog.key";
inline constexpr std::string_view kNatsKeyBase64Header = "evlog.key-base64";
inline constexpr std::string_view kNatsKeyEmptyHeader = "evlog.key-empty";
inline constexpr std::string_view kNatsHeaderBase64Header = "evlog.header-base64";
inline constexpr std::string_view kNatsHeaderOrderHeader = "evlog.header-order";
inline constexpr std::string_view kNatsMsgIdHeader = "Nats-Msg-Id";

using WireHeaders = std::vector<std::pair<std::string, std::string>>;

// A name NATS carries as it is and that no reserved prefix claims: RFC 7230 token
// characters only, not starting with "evlog." or "Nats-" (any case), and not Status or
// Description (any case), which client libraries read as the status of a message: a
// pulled message with an empty payload and a Status header never reaches libnats's caller.
// Nor a name containing "Nats-Msg-Id" (any case), as for values.
bool IsSafeNatsName(std::string_view name);
// A value NATS carries as it is: non-empty valid UTF-8 without control characters, not
// starting or ending with a space, and not containing "Nats-Msg-Id" (any case): JetStream
// looks for its message id by searching the header block for that text, and one found in
// another header first hides the id, so that a resent event is stored again.
bool IsSafeNatsValue(std::string_view value);

// Appends the key's header (if any), the event's headers and, when needed, the order
// header to *wire, in that order. The bridge headers (bridge_headers.h) and Nats-Msg-Id
// are the caller's.
void EncodeNatsEvent(std::optional<std::string_view> key, std::span<const eventlog::HeaderView> headers,
                     WireHeaders* wire);

// The fingerprint that ends an event's Nats-Msg-Id (format-spec/bridge.md §B4): XXH3-64,
// seed 0, of its timestamp, key, headers and payload, each length-prefixed. Log id and
// offset alone do not name an event once a log directory is copied or restored from a
// backup and goes on appending: the copy has the same id and gives the same offsets to other
// events, which JetStream would take for duplicates of the original's, acknowledge, and
// never store.
uint64_t NatsEventFingerprint(const eventlog::Event& event);

// A message's headers as libnats gives them: each name once, with its values in order.
struct WireHeaderGroup {
  std::string_view name;
  std::vector<std::string_view> values;
};

struct DecodedNatsEvent {
  std::optional<std::string> key;
  std::vector<std::pair<std::string, std::string>> headers;         // the event's own
  std::vector<std::pair<std::string, std::string>> bridge_headers;  // bridge_headers.h's, as sent
};

// The inverse of EncodeNatsEvent. Headers named Nats-* (the server's) are dropped; without
// an order header, groups come in the order given. kInvalidArgument for a malformed
// evlog.* header (bad base64, an order header naming values that are not there).
eventlog::Status DecodeNatsEvent(std::span<const WireHeaderGroup> groups, DecodedNatsEvent* out);

}  // namespace evlog
