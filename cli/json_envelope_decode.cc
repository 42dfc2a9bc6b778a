// Reading envelopes (append --json). The format is described in json_envelope.h.
#include <nlohmann/json.hpp>

#include "base64.h"
#include "json_envelope.h"

namespace evlog {
namespace {

// ordered_json keeps object members in input order, so headers are appended in the order
// `tail --json` wrote them.
using Json = nlohmann::ordered_json;
using eventlog::Status;

// The value of a "<field>_encoding" member: true for "base64", false when absent.
Status ReadEncoding(const Json& envelope, const char* field, bool* base64) {
  *base64 = false;
  auto it = envelope.find(field);
  if (it == envelope.end() || it->is_null()) return Status::Ok();
  if (it->is_string() && it->get_ref<const std::string&>() == "base64") {
    *base64 = true;
    return Status::Ok();
  }
  return Status::InvalidArgument(std::string(field) + " must be \"base64\" if present, not " +
                                 it->dump());
}

// Copies a JSON string into *out, decoding base64 if asked. A null becomes empty.
Status ReadBytes(const Json& value, bool base64, const char* what, std::string* out) {
  if (value.is_null()) {
    out->clear();
    return Status::Ok();
  }
  if (!value.is_string()) {
    return Status::InvalidArgument(std::string(what) + " must be a string, not " + value.dump());
  }
  const auto& text = value.get_ref<const std::string&>();
  if (!base64) {
    out->assign(text);
  } else if (!Base64Decode(text, out)) {
    return Status::InvalidArgument(std::string(what) + " is not valid base64");
  }
  return Status::Ok();
}

Status ReadKey(const Json& envelope, DecodedEnvelope* out) {
  auto it = envelope.find("key");
  out->has_key = it != envelope.end() && !it->is_null();
  if (!out->has_key) return Status::Ok();
  bool base64;
  EVLOG_RETURN_IF_ERROR(ReadEncoding(envelope, "key_encoding", &base64));
  return ReadBytes(*it, base64, "key", &out->key);
}

Status ReadPayload(const Json& envelope, DecodedEnvelope* out) {
  auto it = envelope.find("payload");
  if (it == envelope.end()) {
    out->payload.clear();
    return Status::Ok();
  }
  bool base64;
  EVLOG_RETURN_IF_ERROR(ReadEncoding(envelope, "payload_encoding", &base64));
  if (it->is_object() || it->is_array() || it->is_number() || it->is_boolean()) {
    // A structured payload is stored as its compact JSON text, which is what a producer
    // writing JSON events by hand most likely means.
    out->payload = it->dump();
    return Status::Ok();
  }
  return ReadBytes(*it, base64, "payload", &out->payload);
}

Status AddHeader(const Json& name, const Json& value, bool base64, DecodedEnvelope* out) {
  auto& [n, v] = out->headers.emplace_back();
  if (name.is_null()) return Status::InvalidArgument("a header name must be a string, not null");
  EVLOG_RETURN_IF_ERROR(ReadBytes(name, base64, "a header name", &n));
  return ReadBytes(value, base64, "a header value", &v);
}

Status ReadHeaders(const Json& envelope, DecodedEnvelope* out) {
  out->headers.clear();
  auto it = envelope.find("headers");
  if (it == envelope.end() || it->is_null()) return Status::Ok();
  bool base64;
  EVLOG_RETURN_IF_ERROR(ReadEncoding(envelope, "headers_encoding", &base64));
  if (it->is_object()) {
    for (const auto& [name, value] : it->items()) {
      EVLOG_RETURN_IF_ERROR(AddHeader(Json(name), value, base64, out));
    }
    return Status::Ok();
  }
  // kcat -J: ["name1", "value1", "name2", "value2", ...]
  if (!it->is_array() || it->size() % 2 != 0) {
    return Status::InvalidArgument(
        "headers must be an object or an array of alternating names and values");
  }
  for (size_t i = 0; i < it->size(); i += 2) {
    EVLOG_RETURN_IF_ERROR(AddHeader((*it)[i], (*it)[i + 1], base64, out));
  }
  return Status::Ok();
}

}  // namespace

Status DecodeEnvelope(std::string_view json, DecodedEnvelope* out) {
  Json envelope;
  try {
    envelope = Json::parse(json.begin(), json.end());
  } catch (const Json::parse_error& e) {
    // Drop nlohmann's "[json.exception.parse_error.101] " prefix: it means nothing to users.
    std::string_view what = e.what();
    size_t prefix_end = what.find("] ");
    if (prefix_end != std::string_view::npos) what.remove_prefix(prefix_end + 2);
    return Status::InvalidArgument("invalid JSON: " + std::string(what));
  }
  if (!envelope.is_object()) {
    return Status::InvalidArgument("expected a JSON object, got " +
                                   std::string(envelope.type_name()));
  }
  EVLOG_RETURN_IF_ERROR(ReadKey(envelope, out));
  EVLOG_RETURN_IF_ERROR(ReadHeaders(envelope, out));
  return ReadPayload(envelope, out);
}

}  // namespace evlog
