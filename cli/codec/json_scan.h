// Reading a JSON envelope member by member, without building a tree of the whole line.
//
// Why not nlohmann::json::parse on the line: a tree rewrites what it holds (a payload given
// as the number 123456789012345678901234567890 came back as 1.2345678901234568e+29), keeps
// only the last of two members with the same name, and its recursive dump() overflowed the
// stack on deeply nested input. Here each member's value is handed out as its original text;
// only the values the caller needs are parsed, by nlohmann's iterative parser, so nesting
// depth costs heap, never stack, and nothing throws.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "eventlog/status.h"

namespace evlog {

// Calls fn(name, raw) for each member of the JSON object `text` (surrounding whitespace
// allowed), in input order: `name` decoded, `raw` the value's exact text. Checks the
// object's own syntax and that no name appears twice; a value's syntax is checked only
// where the caller parses or validates it (DecodeJsonString, ValidateJson). `base` is the
// position of text[0] in the input line, so that errors name a column of the line.
// kInvalidArgument naming the column; fn's error is returned as is.
eventlog::Status ForEachMember(std::string_view text, size_t base,
                               const std::function<eventlog::Status(const std::string& name, std::string_view raw)>& fn);

// ForEachMember for a caller that decodes string values anyway: a string value within
// DecodeJsonString's fast path (ASCII, two-character escapes) is decoded into *scratch in
// the same pass that finds its end, and fn receives scratch as `decoded` (fn may swap its
// content away: scratch is refilled for the next member; a caller keeps one scratch across
// calls for its capacity). Any other value comes with decoded == nullptr and is then the
// caller's to check, as with ForEachMember. A decoded string is valid JSON.
eventlog::Status ForEachMemberDecoded(
    std::string_view text, size_t base, std::string* scratch,
    const std::function<eventlog::Status(const std::string& name, std::string_view raw, std::string* decoded)>& fn);

// The same for the elements of the JSON array `text`.
eventlog::Status ForEachElement(std::string_view text, size_t base,
                                const std::function<eventlog::Status(std::string_view raw)>& fn);

// kInvalidArgument unless `raw` is one strict JSON value (RFC 8259, numbers a double can
// hold: 1e999 is refused). Iterative: any nesting depth.
eventlog::Status ValidateJson(std::string_view raw, size_t base);

// Decodes the JSON string `raw` (quotes included) into *out.
eventlog::Status DecodeJsonString(std::string_view raw, size_t base, std::string* out);

// The value's kind by its first character ("a string", "an object", "null", ...), for
// error messages, which never echo untrusted text at length.
std::string_view JsonKind(std::string_view raw);

}  // namespace evlog
