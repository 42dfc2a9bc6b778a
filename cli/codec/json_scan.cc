#include "codec/json_scan.h"

#include <unordered_set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace evlog {
namespace {

using eventlog::Status;

constexpr std::string_view kSpace = " \t\r\n";
constexpr size_t kMaxMessageBytes = 200;  // an error never echoes a whole payload back

Status Invalid(size_t column, std::string_view why) {
  std::string message = fmt::format("invalid JSON at column {}: {}", column + 1, why);
  if (message.size() > kMaxMessageBytes) message.resize(kMaxMessageBytes), message += "...";
  return Status::InvalidArgument(message);
}

// nlohmann's SAX interface, accepting everything and keeping a string value: the parser
// behind it is iterative, and this handler throws nothing, so neither depth nor a number
// out of range (parse_error, not an exception) can take the process down.
struct Handler {
  std::string* string_out = nullptr;
  std::string error;
  size_t error_at = 0;

  bool null() { return true; }
  bool boolean(bool) { return true; }
  bool number_integer(nlohmann::json::number_integer_t) { return true; }
  bool number_unsigned(nlohmann::json::number_unsigned_t) { return true; }
  bool number_float(nlohmann::json::number_float_t, const std::string&) { return true; }
  bool string(std::string& value) {
    if (string_out) string_out->swap(value);
    return true;
  }
  bool binary(nlohmann::json::binary_t&) { return true; }
  bool start_object(size_t) { return true; }
  bool key(std::string&) { return true; }
  bool end_object() { return true; }
  bool start_array(size_t) { return true; }
  bool end_array() { return true; }
  bool parse_error(size_t position, const std::string&, const nlohmann::json::exception& e) {
    // Drop "[json.exception.parse_error.101] parse error at line 1, column 4: ": the
    // position is given relative to the line instead.
    std::string_view what = e.what();
    if (size_t at = what.find("] "); at != std::string_view::npos) what.remove_prefix(at + 2);
    if (what.starts_with("parse error at line ")) {
      if (size_t at = what.find(": "); at != std::string_view::npos) what.remove_prefix(at + 2);
    }
    error = what;
    error_at = position > 0 ? position - 1 : 0;
    return false;
  }
};

Status Parse(std::string_view raw, size_t base, Handler& handler) {
  if (nlohmann::json::sax_parse(raw.begin(), raw.end(), &handler)) return Status::Ok();
  return Invalid(base + handler.error_at, handler.error);
}

// The end of the string starting at text[at] == '"', or npos if it is unterminated.
size_t SkipString(std::string_view text, size_t at) {
  for (size_t i = at + 1;;) {
    i = text.find_first_of("\"\\", i);
    if (i == std::string_view::npos) return i;
    if (text[i] == '"') return i + 1;
    i += 2;
  }
}

// The end of the value starting at text[at], found without checking its syntax (the
// caller's parse does): a string, a bracketed value (brackets counted outside strings),
// or a scalar running to the next delimiter. npos if unterminated; `at` if there is none.
size_t SkipValue(std::string_view text, size_t at) {
  if (at >= text.size()) return at;
  if (text[at] == '"') return SkipString(text, at);
  if (text[at] == '{' || text[at] == '[') {
    size_t depth = 0;
    for (size_t i = at; i < text.size(); ++i) {
      const char c = text[i];
      if (c == '"') {
        i = SkipString(text, i);
        if (i == std::string_view::npos) return i;
        --i;
      } else if (c == '{' || c == '[') {
        ++depth;
      } else if ((c == '}' || c == ']') && --depth == 0) {
        return i + 1;
      }
    }
    return std::string_view::npos;
  }
  const size_t end = text.find_first_of(",:{}[]\" \t\r\n", at);
  return end == std::string_view::npos ? text.size() : end;
}

// Walks "open (item (, item)*)? close"; item(at) returns where the item ends.
template <typename Item>
Status ForEachItem(std::string_view text, size_t base, char open, char close, std::string_view what, Item item) {
  auto skip = [&](size_t i) { return std::min(text.size(), text.find_first_not_of(kSpace, i)); };
  size_t at = skip(0);
  if (at == text.size() || text[at] != open) return Invalid(base + at, fmt::format("expected {}", what));
  at = skip(at + 1);
  if (at < text.size() && text[at] == close) {
    at = skip(at + 1);
  } else {
    while (true) {
      EVLOG_ASSIGN_OR_RETURN(size_t end, item(at));
      at = skip(end);
      if (at < text.size() && text[at] == ',') {
        at = skip(at + 1);
        continue;
      }
      if (at < text.size() && text[at] == close) {
        at = skip(at + 1);
        break;
      }
      return Invalid(base + at, fmt::format("expected ',' or '{}'", close));
    }
  }
  if (at != text.size()) return Invalid(base + at, fmt::format("unexpected text after {}", what));
  return Status::Ok();
}

eventlog::Result<std::string_view> ValueAt(std::string_view text, size_t base, size_t at) {
  const size_t end = SkipValue(text, at);
  if (end == std::string_view::npos) return Invalid(base + at, "unterminated value");
  if (end == at) return Invalid(base + at, "expected a value");
  return text.substr(at, end - at);
}

}  // namespace

Status ForEachMember(std::string_view text, size_t base,
                     const std::function<Status(const std::string& name, std::string_view raw)>& fn) {
  std::unordered_set<std::string> seen;
  std::string name;
  return ForEachItem(text, base, '{', '}', "a JSON object", [&](size_t at) -> eventlog::Result<size_t> {
    if (at == text.size() || text[at] != '"') return Invalid(base + at, "expected a member name");
    EVLOG_ASSIGN_OR_RETURN(std::string_view raw_name, ValueAt(text, base, at));
    EVLOG_RETURN_IF_ERROR(DecodeJsonString(raw_name, base + at, &name));
    // A repeated name is ambiguous (parsers disagree on which one wins): refuse it.
    if (!seen.insert(name).second) return Invalid(base + at, fmt::format("member \"{}\" appears twice", name));
    size_t colon = std::min(text.size(), text.find_first_not_of(kSpace, at + raw_name.size()));
    if (colon == text.size() || text[colon] != ':') return Invalid(base + colon, "expected ':' after a member name");
    const size_t value_at = std::min(text.size(), text.find_first_not_of(kSpace, colon + 1));
    EVLOG_ASSIGN_OR_RETURN(std::string_view raw, ValueAt(text, base, value_at));
    EVLOG_RETURN_IF_ERROR(fn(name, raw));
    return value_at + raw.size();
  });
}

Status ForEachElement(std::string_view text, size_t base, const std::function<Status(std::string_view raw)>& fn) {
  return ForEachItem(text, base, '[', ']', "a JSON array", [&](size_t at) -> eventlog::Result<size_t> {
    EVLOG_ASSIGN_OR_RETURN(std::string_view raw, ValueAt(text, base, at));
    EVLOG_RETURN_IF_ERROR(fn(raw));
    return at + raw.size();
  });
}

Status ValidateJson(std::string_view raw, size_t base) {
  Handler handler;
  return Parse(raw, base, handler);
}

Status DecodeJsonString(std::string_view raw, size_t base, std::string* out) {
  if (raw.empty() || raw[0] != '"') return Invalid(base, "expected a string");
  Handler handler;
  handler.string_out = out;
  return Parse(raw, base, handler);
}

std::string_view JsonKind(std::string_view raw) {
  switch (raw.empty() ? ' ' : raw[0]) {
    case '"': return "a string";
    case '{': return "an object";
    case '[': return "an array";
    case 't':
    case 'f': return "a boolean";
    case 'n': return "null";
    default: return "a number";
  }
}

}  // namespace evlog
