// Reading envelopes (append --json, import). The format is described in json_envelope.h.
// Members are read from their original text (json_scan.h): a structured payload is stored
// byte for byte as it was given, and a member or header name given twice is an error.
#include <fmt/format.h>

#include "codec/base64.h"
#include "codec/json_envelope.h"
#include "codec/json_scan.h"

namespace evlog {
namespace {

using eventlog::Status;

// The members DecodeEnvelope reads, as their original text; empty when absent.
struct Members {
  std::string_view key, key_encoding, headers, headers_all, headers_encoding, payload, payload_encoding;
  // The key's and the payload's string, when the walk over the members decoded it already.
  const std::string* key_text = nullptr;
  const std::string* payload_text = nullptr;
};

// The value of a "<field>_encoding" member: true for "base64", false when absent or null.
Status ReadEncoding(std::string_view raw, const char* field, bool* base64) {
  *base64 = false;
  if (raw.empty() || raw == "null") return Status::Ok();
  if (raw == "\"base64\"") {
    *base64 = true;
    return Status::Ok();
  }
  return Status::InvalidArgument(fmt::format("{} must be \"base64\" if present, not {}", field,
                                             raw.size() <= 20 ? std::string(raw) : std::string(JsonKind(raw))));
}

// Copies a JSON string into *out, decoding base64 if asked. A null becomes empty.
// `decoded`, if given, is raw's string already decoded (ForEachMemberDecoded).
Status ReadBytes(std::string_view raw, size_t at, bool base64, const char* what, std::string* out,
                 const std::string* decoded = nullptr) {
  if (raw == "null") {
    out->clear();
    return Status::Ok();
  }
  if (raw.empty() || raw[0] != '"') return Status::InvalidArgument(fmt::format("{} must be a string, not {}", what, JsonKind(raw)));
  if (!base64) {
    if (decoded == nullptr) return DecodeJsonString(raw, at, out);
    out->assign(*decoded);
    return Status::Ok();
  }
  std::string text;
  if (decoded == nullptr) EVLOG_RETURN_IF_ERROR(DecodeJsonString(raw, at, &text));
  if (!Base64Decode(decoded != nullptr ? *decoded : text, out)) {
    return Status::InvalidArgument(fmt::format("{} is not valid base64", what));
  }
  return Status::Ok();
}

// Reads `raw`, a "headers" or "headers_all" member, into out->headers.
Status ReadHeaderList(std::string_view raw, std::string_view line, bool base64, DecodedEnvelope* out) {
  out->headers.clear();
  if (raw.empty() || raw == "null") return Status::Ok();
  auto at = [&](std::string_view r) { return static_cast<size_t>(r.data() - line.data()); };
  if (raw[0] == '{') {
    // A name given twice is refused by ForEachMember: the array form is how to repeat one.
    return ForEachMember(raw, at(raw), [&](const std::string& name, std::string_view value) {
      auto& [n, v] = out->headers.emplace_back();
      if (!base64) {
        n = name;
      } else if (!Base64Decode(name, &n)) {
        return Status::InvalidArgument("a header name is not valid base64");
      }
      return ReadBytes(value, at(value), base64, "a header value", &v);
    });
  }
  if (raw[0] != '[') {
    return Status::InvalidArgument("headers must be an object or an array of alternating names and values");
  }
  // kcat -J: ["name1", "value1", "name2", "value2", ...]
  std::string_view pending;
  bool have_name = false;
  EVLOG_RETURN_IF_ERROR(ForEachElement(raw, at(raw), [&](std::string_view element) {
    have_name = !have_name;
    if (have_name) {
      pending = element;
      return Status::Ok();
    }
    auto& [n, v] = out->headers.emplace_back();
    if (pending == "null") return Status::InvalidArgument("a header name must be a string, not null");
    EVLOG_RETURN_IF_ERROR(ReadBytes(pending, at(pending), base64, "a header name", &n));
    return ReadBytes(element, at(element), base64, "a header value", &v);
  }));
  if (have_name) return Status::InvalidArgument("headers must be an object or an array of alternating names and values");
  return Status::Ok();
}

// "headers_all", when given, holds every header; "headers" must then still be well formed.
Status ReadHeaders(const Members& m, std::string_view line, DecodedEnvelope* out) {
  bool base64;
  EVLOG_RETURN_IF_ERROR(ReadEncoding(m.headers_encoding, "headers_encoding", &base64));
  EVLOG_RETURN_IF_ERROR(ReadHeaderList(m.headers, line, base64, out));
  if (m.headers_all.empty() || m.headers_all == "null") return Status::Ok();
  if (m.headers_all[0] != '[') {
    return Status::InvalidArgument("headers_all must be an array of alternating names and values");
  }
  return ReadHeaderList(m.headers_all, line, base64, out);
}

// An object without "payload" is refused rather than read as an empty event: to key
// compaction an empty keyed event is a tombstone, which deletes its key, so it is stored
// only when spelt out ("payload":null, or the "" that tail --json writes for one).
Status ReadPayload(const Members& m, std::string_view line, DecodedEnvelope* out) {
  if (m.payload.empty()) {
    return Status::InvalidArgument(
        "not an event envelope: it has no \"payload\" member (an event without a payload, such as a tombstone, is "
        "written \"payload\":null)");
  }
  const size_t at = static_cast<size_t>(m.payload.data() - line.data());
  bool base64;
  EVLOG_RETURN_IF_ERROR(ReadEncoding(m.payload_encoding, "payload_encoding", &base64));
  if (m.payload[0] != '"' && m.payload != "null") {
    // A structured payload (object, array, number, boolean) is stored as the text it was
    // given, byte for byte: what a producer writing JSON events by hand means, and the
    // only form that cannot change a number or a member order on the way in.
    EVLOG_RETURN_IF_ERROR(ValidateJson(m.payload, at));
    out->payload.assign(m.payload);
    return Status::Ok();
  }
  return ReadBytes(m.payload, at, base64, "payload", &out->payload, m.payload_text);
}

}  // namespace

Status DecodeEnvelope(std::string_view json, DecodedEnvelope* out) {
  Members m;
  static constexpr std::pair<std::string_view, std::string_view Members::*> kRead[] = {
      {"key", &Members::key},         {"key_encoding", &Members::key_encoding},
      {"headers", &Members::headers}, {"headers_all", &Members::headers_all},
      {"headers_encoding", &Members::headers_encoding},
      {"payload", &Members::payload}, {"payload_encoding", &Members::payload_encoding}};
  // One pass over each string member: the walk decodes the key and the payload as it finds
  // their ends (the payload is most of a line, and JSON text carried in it has an escape
  // every few bytes), and a string it decoded is valid JSON already.
  // Kept per thread, so that their capacity serves line after line.
  thread_local std::string scratch, key_text, payload_text;
  EVLOG_RETURN_IF_ERROR(ForEachMemberDecoded(json, 0, &scratch, [&](const std::string& name, std::string_view raw,
                                                                    std::string* decoded) {
    if (decoded != nullptr && (name == "key" || name == "payload")) {
      const bool key = name == "key";
      std::string& text = key ? key_text : payload_text;
      text.swap(*decoded);
      (key ? m.key_text : m.payload_text) = &text;
    }
    for (const auto& [field, member] : kRead) {
      if (name == field) {
        m.*member = raw;
        // An encoding is read only beside its field, but must be valid JSON regardless.
        const bool encoding = name.ends_with("_encoding");
        return encoding && decoded == nullptr ? ValidateJson(raw, static_cast<size_t>(raw.data() - json.data()))
                                              : Status::Ok();
      }
    }
    // Other members (kcat's topic, partition, ...; tail's offset, timestamp) are ignored,
    // but must still be valid JSON.
    return decoded != nullptr ? Status::Ok() : ValidateJson(raw, static_cast<size_t>(raw.data() - json.data()));
  }));
  out->has_key = !m.key.empty() && m.key != "null";
  if (out->has_key) {
    bool base64;
    EVLOG_RETURN_IF_ERROR(ReadEncoding(m.key_encoding, "key_encoding", &base64));
    EVLOG_RETURN_IF_ERROR(ReadBytes(m.key, static_cast<size_t>(m.key.data() - json.data()), base64, "key", &out->key,
                                    m.key_text));
  }
  EVLOG_RETURN_IF_ERROR(ReadHeaders(m, json, out));
  return ReadPayload(m, json, out);
}

}  // namespace evlog
