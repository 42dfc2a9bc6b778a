#include "bridge/nats/nats_message_codec.h"

#include <algorithm>
#include <cstring>
#include <map>

#include "bridge/bridge_headers.h"
#include "codec/base64.h"
#include "codec/json_envelope.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace evlog {

using eventlog::Status;

namespace {

bool IsTokenChar(unsigned char c) {
  if (c >= '0' && c <= '9') return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
  return c != 0 && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool SameLetterNoCase(char a, char b) { return (a | 0x20) == (b | 0x20); }

bool StartsWithNoCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), text.begin(), SameLetterNoCase);
}

bool ContainsNoCase(std::string_view text, std::string_view part) {
  return std::search(text.begin(), text.end(), part.begin(), part.end(), SameLetterNoCase) != text.end();
}

// JetStream finds a message's Nats-Msg-Id by searching the header block for the text: only
// its first occurrence counts, and unless that one starts a line the message has no id, so
// it is stored again however often it is resent. libnats writes headers in no set order, so
// any name, value or key that contains the text can come first: all go in base64, whose
// alphabet has no '-'. Compared without case, although nats-server 2.9 compares the bytes:
// a server that read header names as HTTP does (without case) would find "nats-msg-id" too.
bool MentionsMsgId(std::string_view text) { return ContainsNoCase(text, kNatsMsgIdHeader); }

bool EqualsNoCase(std::string_view text, std::string_view other) {
  return text.size() == other.size() && StartsWithNoCase(text, other);
}

// The names of a status: NATS delivers one as a message with a status line, which libnats,
// nats.go and others hand to applications as the headers Status (the code) and Description
// (its text). A pulled message with an empty payload and a Status header is a status to
// libnats's and nats.go's fetch: they drop it (the server counts it delivered), and libnats
// reports its Description as the error. Compared without case: clients differ on whether
// header names are (nats.go canonicalised them before 1.11), and base64 costs little. A
// rule on the name alone, not only when the payload is empty: it needs no payload here, and
// it also spares a client that reads Status whatever the payload.
bool IsStatusName(std::string_view name) { return EqualsNoCase(name, "Status") || EqualsNoCase(name, "Description"); }

std::string Base64(std::string_view bytes) {
  std::string out(Base64EncodedSize(bytes.size()), '\0');
  Base64Encode(bytes, out.data());
  return out;
}

Status Malformed(std::string_view header, std::string_view why) {
  return Status::InvalidArgument(std::string(header) + " header: " + std::string(why));
}

// One header of the event from its wire form: as it is, or the two halves of a base64 pair.
Status DecodeHeader(std::string_view name, std::string_view value, DecodedNatsEvent* out) {
  if (name != kNatsHeaderBase64Header) {
    // An event's own header with a bridge header's name travels in base64 (IsSafeNatsName
    // refuses the evlog. prefix), so one under its plain name is the bridge's.
    (IsBridgeHeader(name) ? out->bridge_headers : out->headers).emplace_back(name, value);
    return Status::Ok();
  }
  const size_t comma = value.find(',');
  std::string decoded_name, decoded_value;
  if (comma == std::string_view::npos || !Base64Decode(value.substr(0, comma), &decoded_name) ||
      !Base64Decode(value.substr(comma + 1), &decoded_value))
    return Malformed(name, "expected BASE64-NAME,BASE64-VALUE");
  out->headers.emplace_back(std::move(decoded_name), std::move(decoded_value));
  return Status::Ok();
}

Status DecodeKey(const WireHeaderGroup& group, DecodedNatsEvent* out) {
  if (group.values.empty()) return Status::Ok();
  std::string_view value = group.values.front();
  if (group.name == kNatsKeyHeader) {
    out->key.emplace(value);
  } else if (group.name == kNatsKeyEmptyHeader) {
    out->key.emplace();
  } else {
    std::string key;
    if (!Base64Decode(value, &key)) return Malformed(group.name, "not base64");
    out->key = std::move(key);
  }
  return Status::Ok();
}

bool IsKeyHeader(std::string_view name) {
  return name == kNatsKeyHeader || name == kNatsKeyBase64Header || name == kNatsKeyEmptyHeader;
}

// The server's own headers (Nats-Msg-Id, Nats-Expected-*, ...) are not the event's.
bool IsServerHeader(std::string_view name) { return StartsWithNoCase(name, "Nats-"); }

}  // namespace

bool IsSafeNatsName(std::string_view name) {
  if (name.empty() || StartsWithNoCase(name, "evlog.") || IsServerHeader(name) || IsStatusName(name) ||
      MentionsMsgId(name))
    return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return IsTokenChar(static_cast<unsigned char>(c)); });
}

bool IsSafeNatsValue(std::string_view value) {
  if (value.empty() || value.front() == ' ' || value.back() == ' ' || MentionsMsgId(value)) return false;
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return false;
  }
  return IsValidUtf8(value);
}

void EncodeNatsEvent(std::optional<std::string_view> key, std::span<const eventlog::HeaderView> headers,
                     WireHeaders* wire) {
  if (key) {
    if (key->empty()) {
      wire->emplace_back(kNatsKeyEmptyHeader, "true");
    } else if (IsSafeNatsValue(*key)) {
      wire->emplace_back(kNatsKeyHeader, *key);
    } else {
      wire->emplace_back(kNatsKeyBase64Header, Base64(*key));
    }
  }
  const size_t first = wire->size();
  bool one_name = true;
  for (const eventlog::HeaderView& header : headers) {
    if (IsSafeNatsName(header.name) && IsSafeNatsValue(header.value)) {
      wire->emplace_back(header.name, header.value);
    } else {
      wire->emplace_back(kNatsHeaderBase64Header, Base64(header.name) + "," + Base64(header.value));
    }
    one_name = one_name && wire->back().first == (*wire)[first].first;
  }
  // NATS keeps the values of one name in order but not the order between names.
  if (one_name) return;
  std::string order;
  for (size_t i = first; i < wire->size(); ++i) {
    if (i > first) order += ' ';
    order += (*wire)[i].first;
  }
  wire->emplace_back(kNatsHeaderOrderHeader, std::move(order));
}

Status DecodeNatsEvent(std::span<const WireHeaderGroup> groups, DecodedNatsEvent* out) {
  out->key.reset();
  out->headers.clear();
  out->bridge_headers.clear();
  const WireHeaderGroup* order = nullptr;
  for (const WireHeaderGroup& group : groups) {
    if (IsKeyHeader(group.name)) {
      EVLOG_RETURN_IF_ERROR(DecodeKey(group, out));
    } else if (group.name == kNatsHeaderOrderHeader) {
      order = &group;
    }
  }
  // How many values of each group the order header has taken; the groups by name, so that
  // a hostile order header of many names costs a lookup each, not a scan. Both stay empty
  // (no allocation) for the usual message, whose headers share one name or have none.
  std::map<std::string_view, size_t> taken;
  std::map<std::string_view, const WireHeaderGroup*> by_name;
  if (order && !order->values.empty()) {
    for (const WireHeaderGroup& group : groups) by_name.emplace(group.name, &group);
    std::string_view names = order->values.front();
    while (!names.empty()) {
      const size_t space = names.find(' ');
      const std::string_view name = names.substr(0, space);
      names = space == std::string_view::npos ? std::string_view() : names.substr(space + 1);
      auto found = by_name.find(name);
      size_t& used = taken[name];
      if (found == by_name.end() || used >= found->second->values.size())
        return Malformed(kNatsHeaderOrderHeader, "names more values than the message has");
      EVLOG_RETURN_IF_ERROR(DecodeHeader(name, found->second->values[used++], out));
    }
  }
  for (const WireHeaderGroup& group : groups) {
    if (IsKeyHeader(group.name) || group.name == kNatsHeaderOrderHeader || IsServerHeader(group.name)) continue;
    auto it = taken.find(group.name);
    for (size_t i = it == taken.end() ? 0 : it->second; i < group.values.size(); ++i)
      EVLOG_RETURN_IF_ERROR(DecodeHeader(group.name, group.values[i], out));
  }
  return Status::Ok();
}

namespace {

void UpdateU64(XXH3_state_t* state, uint64_t value) {
  unsigned char bytes[8];
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<unsigned char>(value >> (8 * i));  // little-endian
  XXH3_64bits_update(state, bytes, sizeof bytes);
}

void UpdateBytes(XXH3_state_t* state, std::string_view bytes) {
  UpdateU64(state, bytes.size());
  XXH3_64bits_update(state, bytes.data(), bytes.size());
}

}  // namespace

uint64_t NatsEventFingerprint(const eventlog::Event& event) {
  XXH3_state_t state;
  XXH3_64bits_reset(&state);
  UpdateU64(&state, static_cast<uint64_t>(event.timestamp_ns));
  const unsigned char has_key = event.key ? 1 : 0;
  XXH3_64bits_update(&state, &has_key, 1);
  if (event.key) UpdateBytes(&state, *event.key);
  UpdateU64(&state, event.headers.size());
  for (const eventlog::HeaderView& header : event.headers) {
    UpdateBytes(&state, header.name);
    UpdateBytes(&state, header.value);
  }
  UpdateBytes(&state, event.payload);
  return XXH3_64bits_digest(&state);
}

}  // namespace evlog
