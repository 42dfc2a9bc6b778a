#include "codec/json_scan.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <unordered_set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "codec/word_scan.h"

namespace evlog {
namespace {

using eventlog::Status;

// The position of the first byte at or after i that is not JSON whitespace, or text.size().
// (string_view::find_first_not_of calls memchr once per byte, over the set.)
size_t SkipSpace(std::string_view text, size_t i) {
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n')) ++i;
  return std::min(i, text.size());
}

// True for the bytes that end a scalar (number, true, false, null) in SkipValue.
bool EndsScalar(char c) {
  switch (c) {
    case ',': case ':': case '{': case '}': case '[': case ']': case '"': case ' ': case '\t': case '\r': case '\n':
      return true;
    default:
      return false;
  }
}
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

// The end of the string starting at text[at] == '"', or npos if it is unterminated: the
// first quote not taken by a backslash escape. A word at a time to the next quote or
// backslash (JSON text carried in a string has one every few bytes, too close for memchr
// to pay for its call).
size_t SkipString(std::string_view text, size_t at) {
  size_t i = at + 1;
  while (i < text.size()) {
    if (word_scan::kLittleEndian && text.size() - i >= 8) {
      const uint64_t word = word_scan::Load(text.data() + i);
      const uint64_t flags = word_scan::BytesEqual(word, '"') | word_scan::BytesEqual(word, '\\');
      if (flags == 0) {
        i += 8;
        continue;
      }
      i += word_scan::FirstFlaggedByte(flags);
    }
    if (text[i] == '"') return i + 1;
    i += text[i] == '\\' ? 2 : 1;  // a backslash takes the byte after it, whatever it is
  }
  return std::string_view::npos;
}

// The common case, decoded without the general parser, which costs about ten times as
// much per byte: a string of ASCII without control characters, with only the
// two-character escapes. text[at] is its opening quote; returns the position just past its
// closing quote (the first quote no backslash takes), or npos for anything else (\u
// escapes, bytes from 0x80, control characters, no closing quote), which the general
// parser then decodes or refuses: so what is accepted, and how it decodes, is exactly what
// the general parser does. `out`, when given, receives the decoded bytes (or something
// undefined, on npos). One pass, a word at a time through runs of plain bytes: it finds the
// string's end as it decodes, so a caller that needs both scans the string once.
size_t DecodePlainStringAt(std::string_view text, size_t at, std::string* out) {
  const char* p = text.data() + at + 1;
  const char* end = text.data() + text.size();
  // Decoded bytes are stored a whole word at a time (one fixed-size store, where a copy of
  // variable length would cost a call per run in text with an escape every few bytes); `out`
  // grows ahead of them, as the string's length is not known until its end (a caller that
// knows a bound sizes it first: what `out` held is overwritten, and cut to size at the end).
  size_t used = 0;
  auto room = [&] {
    if (used + 8 > out->size()) out->resize(std::max<size_t>(64, 2 * out->size()));
  };
  auto put_word = [&](uint64_t word, size_t n) {  // the first n bytes of word
    if (out == nullptr) return;
    room();
    std::memcpy(out->data() + used, &word, sizeof(word));
    used += n;
  };
  auto put_byte = [&](char c) {
    if (out == nullptr) return;
    room();
    (*out)[used++] = c;
  };
  auto finish = [&](size_t result) {
    if (out != nullptr) out->resize(used);
    return result;
  };
  while (p < end) {
    if (word_scan::kLittleEndian && end - p >= 8) {
      const uint64_t word = word_scan::Load(p);
      const uint64_t flags = word_scan::BytesToEscape(word) | word_scan::HighBytes(word);
      const size_t plain = flags == 0 ? 8 : word_scan::FirstFlaggedByte(flags);
      put_word(word, plain);
      p += plain;
      if (plain == 8) continue;
    }
    const auto c = static_cast<unsigned char>(*p++);
    if (c == '"') return finish(static_cast<size_t>(p - text.data()));
    if (c >= 0x20 && c < 0x80 && c != '\\') {
      put_byte(static_cast<char>(c));
      continue;
    }
    if (c != '\\' || p == end) return std::string_view::npos;
    char decoded;
    switch (*p++) {
      case '"': decoded = '"'; break;
      case '\\': decoded = '\\'; break;
      case '/': decoded = '/'; break;
      case 'b': decoded = '\b'; break;
      case 'f': decoded = '\f'; break;
      case 'n': decoded = '\n'; break;
      case 'r': decoded = '\r'; break;
      case 't': decoded = '\t'; break;
      default: return std::string_view::npos;
    }
    put_byte(decoded);
  }
  return std::string_view::npos;
}

// The closing quote of the string at text[at] == '"' when nothing in it needs decoding
// (no escape, control character or byte from 0x80), so that its text is its value; npos
// otherwise, and for an unterminated string. Member names are such strings, nearly always:
// this finds one in a single pass, where finding its end and then decoding it took two.
size_t PlainStringEnd(std::string_view text, size_t at) {
  size_t i = at + 1;
  while (i < text.size()) {
    if (word_scan::kLittleEndian && text.size() - i >= 8) {
      const uint64_t word = word_scan::Load(text.data() + i);
      const uint64_t flags = word_scan::BytesToEscape(word) | word_scan::HighBytes(word);
      if (flags == 0) {
        i += 8;
        continue;
      }
      i += word_scan::FirstFlaggedByte(flags);
    }
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '"') return i;
    if (c < 0x20 || c >= 0x80 || c == '\\') return std::string_view::npos;
    ++i;
  }
  return std::string_view::npos;
}

// DecodePlainStringAt for `raw`, one string token from quote to quote.
bool DecodePlainString(std::string_view raw, std::string* out) {
  if (raw.size() < 2 || raw.front() != '"') return false;
  if (out != nullptr) out->resize(raw.size() + 8);  // room for every word stored
  return DecodePlainStringAt(raw, 0, out) == raw.size();
}

// True if raw is an integer any parser reads exactly: optional minus, no leading zero, at
// most 15 digits (below 2^53). Anything else goes to the general parser.
bool IsPlainInteger(std::string_view raw) {
  const std::string_view digits = raw.starts_with('-') ? raw.substr(1) : raw;
  if (digits.empty() || digits.size() > 15 || (digits[0] == '0' && digits.size() > 1)) return false;
  return std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
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
  size_t end = at;
  while (end < text.size() && !EndsScalar(text[end])) ++end;
  return end;
}

// Walks "open (item (, item)*)? close"; item(at) returns where the item ends.
template <typename Item>
Status ForEachItem(std::string_view text, size_t base, char open, char close, std::string_view what, Item item) {
  auto skip = [&](size_t i) { return SkipSpace(text, i); };
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

namespace {

// ForEachMember and ForEachMemberDecoded: with `decoded`, a plain string value (see
// DecodePlainStringAt) is decoded into it while its end is found, and handed to fn.
Status WalkMembers(std::string_view text, size_t base, std::string* decoded,
                   const std::function<Status(const std::string& name, std::string_view raw,
                                              const std::string* decoded)>& fn) {
  // Names seen so far: a short list searched in turn, as an envelope has a handful of
  // members; past kListedNames, a hash set, so that an object of many members stays linear.
  // The list lives on the stack: names this short stay inside their strings, so a
  // typical envelope allocates nothing here.
  constexpr size_t kListedNames = 16;
  std::array<std::string, kListedNames> listed;
  size_t listed_count = 0;
  std::unordered_set<std::string> hashed;
  auto first_time = [&](const std::string& name) {
    if (listed_count < kListedNames) {
      const auto end = listed.begin() + static_cast<std::ptrdiff_t>(listed_count);
      if (std::find(listed.begin(), end, name) != end) return false;
      listed[listed_count++] = name;
      if (listed_count == kListedNames) hashed.insert(listed.begin(), listed.end());
      return true;
    }
    return hashed.insert(name).second;
  };
  std::string name;
  return ForEachItem(text, base, '{', '}', "a JSON object", [&](size_t at) -> eventlog::Result<size_t> {
    if (at == text.size() || text[at] != '"') return Invalid(base + at, "expected a member name");
    size_t name_end = PlainStringEnd(text, at);
    if (name_end != std::string_view::npos) {
      name.assign(text.data() + at + 1, name_end - at - 1);
      ++name_end;  // past the quote
    } else {
      EVLOG_ASSIGN_OR_RETURN(std::string_view raw_name, ValueAt(text, base, at));
      EVLOG_RETURN_IF_ERROR(DecodeJsonString(raw_name, base + at, &name));
      name_end = at + raw_name.size();
    }
    // A repeated name is ambiguous (parsers disagree on which one wins): refuse it.
    if (!first_time(name)) return Invalid(base + at, fmt::format("member \"{}\" appears twice", name));
    size_t colon = SkipSpace(text, name_end);
    if (colon == text.size() || text[colon] != ':') return Invalid(base + colon, "expected ':' after a member name");
    const size_t value_at = SkipSpace(text, colon + 1);
    if (decoded != nullptr && value_at < text.size() && text[value_at] == '"') {
      const size_t end = DecodePlainStringAt(text, value_at, decoded);
      if (end != std::string_view::npos) {
        EVLOG_RETURN_IF_ERROR(fn(name, text.substr(value_at, end - value_at), decoded));
        return end;
      }
    }
    EVLOG_ASSIGN_OR_RETURN(std::string_view raw, ValueAt(text, base, value_at));
    EVLOG_RETURN_IF_ERROR(fn(name, raw, nullptr));
    return value_at + raw.size();
  });
}

}  // namespace

Status ForEachMember(std::string_view text, size_t base,
                     const std::function<Status(const std::string& name, std::string_view raw)>& fn) {
  return WalkMembers(text, base, nullptr,
                     [&](const std::string& name, std::string_view raw, const std::string*) { return fn(name, raw); });
}

Status ForEachMemberDecoded(
    std::string_view text, size_t base, std::string* scratch,
    const std::function<Status(const std::string& name, std::string_view raw, std::string* decoded)>& fn) {
  return WalkMembers(text, base, scratch, [&](const std::string& name, std::string_view raw, const std::string* d) {
    return fn(name, raw, d != nullptr ? scratch : nullptr);
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
  if (raw == "null" || raw == "true" || raw == "false" || IsPlainInteger(raw)) return Status::Ok();
  if (DecodePlainString(raw, nullptr)) return Status::Ok();
  Handler handler;
  return Parse(raw, base, handler);
}

Status DecodeJsonString(std::string_view raw, size_t base, std::string* out) {
  if (raw.empty() || raw[0] != '"') return Invalid(base, "expected a string");
  if (DecodePlainString(raw, out)) return Status::Ok();
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
