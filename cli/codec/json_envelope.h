// The JSON envelope: one event as one JSON object, written by `tail --json` and read back by
// `append --json`, so that `tail --json | append --json` copies a log byte-exact.
//
//   {"offset":7,"timestamp":"2026-11-29T21:33:54.123456789Z","key":"k","headers":{"a":"1"},
//    "payload":"text"}
//
// JSON strings must be UTF-8, events are bytes. A key or payload that is not valid UTF-8 is
// written in base64 and marked by "key_encoding":"base64" / "payload_encoding":"base64";
// if any header name or value is not, every header name and value is base64 and marked by
// "headers_encoding":"base64". "headers" is always an object of strings, in append order of
// first occurrence; a name that repeats shows its last value there, and every header, in
// order, then follows as "headers_all":["name","value",...] (kcat's flat array).
//
// Reading accepts "headers" as an object or as kcat's flat array (which earlier versions of
// evlog wrote for repeated names); "headers_all", when present, is the complete list and wins.
// Reading also accepts kcat's -J envelope: "headers" as that array, and the fields "topic",
// "partition", "offset", "tstype", "ts", "broker" ignored. Offsets and timestamps in input
// are ignored: the log assigns new ones. "payload" is required ("payload":null and "" are an
// empty payload): an object without it is not an envelope.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "eventlog/event.h"
#include "eventlog/status.h"
#include "codec/output_buffer.h"

namespace evlog {

// Writes `event` as a JSON object, without a trailing newline. `extra_members` (",\"name\":value"
// pairs, already encoded) go after the standard members.
void AppendEventJson(const eventlog::Event& event, OutputBuffer& out, std::string_view extra_members = {});

// Writes `text`, which must be valid UTF-8, as a quoted JSON string.
void AppendJsonString(std::string_view text, OutputBuffer& out);
void AppendJsonString(std::string_view text, std::string* out);

// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
bool IsValidUtf8(std::string_view text);

// Length of the UTF-8 sequence starting at p[0] (p[0] >= 0x80), or 0 if it is invalid;
// at most `available` bytes are read.
size_t Utf8SequenceLength(const unsigned char* p, size_t available);

// An envelope decoded from one line of input. Its storage is reused from line to line.
struct DecodedEnvelope {
  bool has_key = false;
  std::string key;
  std::string payload;
  std::vector<std::pair<std::string, std::string>> headers;
};

// kInvalidArgument with a message saying what is wrong (bad JSON, a field of the wrong
// type, bad base64).
eventlog::Status DecodeEnvelope(std::string_view json, DecodedEnvelope* out);

}  // namespace evlog
