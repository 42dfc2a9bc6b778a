#include "codec/json_envelope.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <vector>

#include "codec/base64.h"
#include "codec/time_parse.h"
#include "codec/word_scan.h"

namespace evlog {
namespace {

constexpr std::array<bool, 256> MakeEscapeTable() {
  std::array<bool, 256> table{};
  for (int c = 0; c < 0x20; ++c) table[c] = true;
  table['"'] = table['\\'] = true;
  return table;
}
constexpr std::array<bool, 256> kNeedsEscape = MakeEscapeTable();

// The escape for a byte kNeedsEscape marks: the short forms JSON has, else \u00XX.
std::string_view EscapeOf(unsigned char c) {
  switch (c) {
    case '"': return "\\\"";
    case '\\': return "\\\\";
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    case '\b': return "\\b";
    case '\f': return "\\f";
    default: {
      static constexpr auto kControls = [] {
        constexpr char kHex[] = "0123456789abcdef";
        std::array<std::array<char, 6>, 0x20> table{};
        for (int i = 0; i < 0x20; ++i) table[i] = {'\\', 'u', '0', '0', kHex[i >> 4], kHex[i & 15]};
        return table;
      }();
      return std::string_view(kControls[c].data(), 6);
    }
  }
}

void AppendBase64String(std::string_view bytes, OutputBuffer& out) {
  // Encode through a small stack buffer: bounded memory whatever the payload size.
  constexpr size_t kChunk = 3 * 1024;
  char encoded[Base64EncodedSize(kChunk)];
  out.Append('"');
  for (size_t at = 0; at < bytes.size(); at += kChunk) {
    size_t n = Base64Encode(bytes.substr(at, kChunk), encoded);
    out.Append(std::string_view(encoded, n));
  }
  out.Append('"');
}

void AppendString(std::string_view bytes, bool base64, OutputBuffer& out) {
  if (base64) {
    AppendBase64String(bytes, out);
  } else {
    AppendJsonString(bytes, out);
  }
}

// `"name":"value"`, or `"name":"base64","name_encoding":"base64"` when not UTF-8.
void AppendBytesField(std::string_view name, std::string_view bytes, OutputBuffer& out) {
  bool base64 = !IsValidUtf8(bytes);
  out.Append(',');
  AppendJsonString(name, out);
  out.Append(':');
  AppendString(bytes, base64, out);
  if (base64) {
    out.Append(",\"");
    out.Append(name);
    out.Append("_encoding\":\"base64\"");
  }
}

// For each header, the index of the header whose value the object shows under its name:
// the last one of that name for its first occurrence, kNotShown for the later ones.
// Returns whether any name repeats. Reused across events: no allocation in the steady state.
constexpr size_t kNotShown = SIZE_MAX;
bool ShownValues(std::span<const eventlog::HeaderView> headers, std::vector<size_t>* shown) {
  shown->assign(headers.size(), kNotShown);
  static thread_local std::vector<size_t> by_name;
  by_name.resize(headers.size());
  for (size_t i = 0; i < headers.size(); ++i) by_name[i] = i;
  std::stable_sort(by_name.begin(), by_name.end(),
                   [&](size_t a, size_t b) { return headers[a].name < headers[b].name; });
  bool repeats = false;
  for (size_t first = 0; first < by_name.size();) {
    size_t end = first + 1;
    while (end < by_name.size() && headers[by_name[end]].name == headers[by_name[first]].name) ++end;
    (*shown)[by_name[first]] = by_name[end - 1];
    repeats |= end - first > 1;
    first = end;
  }
  return repeats;
}

// "headers" is always an object of strings, so that `.headers.name` works whatever the
// event holds; a repeated name shows its last value (as Kafka's lastHeader()). Then every
// header, in order, in "headers_all" (kcat's flat array) when the object cannot hold them all.
void AppendHeaders(std::span<const eventlog::HeaderView> headers, OutputBuffer& out) {
  bool base64 = !std::all_of(headers.begin(), headers.end(), [](const auto& h) {
    return IsValidUtf8(h.name) && IsValidUtf8(h.value);
  });
  static thread_local std::vector<size_t> shown;
  const bool repeats = ShownValues(headers, &shown);
  out.Append(",\"headers\":{");
  bool first = true;
  for (size_t i = 0; i < headers.size(); ++i) {
    if (shown[i] == kNotShown) continue;
    if (!first) out.Append(',');
    first = false;
    AppendString(headers[i].name, base64, out);
    out.Append(':');
    AppendString(headers[shown[i]].value, base64, out);
  }
  out.Append('}');
  if (repeats) {
    out.Append(",\"headers_all\":[");
    for (size_t i = 0; i < headers.size(); ++i) {
      if (i > 0) out.Append(',');
      AppendString(headers[i].name, base64, out);
      out.Append(',');
      AppendString(headers[i].value, base64, out);
    }
    out.Append(']');
  }
  if (base64) out.Append(",\"headers_encoding\":\"base64\"");
}

}  // namespace

// Length of the UTF-8 sequence starting at p[0] (p[0] >= 0x80), or 0 if it is invalid.
size_t Utf8SequenceLength(const unsigned char* p, size_t available) {
  auto cont = [&](size_t i, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
    return i < available && p[i] >= lo && p[i] <= hi;
  };
  unsigned char c = p[0];
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c == 0xE0) return cont(1, 0xA0) && cont(2) ? 3 : 0;
  if (c == 0xED) return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;  // no surrogates
  if (c >= 0xE1 && c <= 0xEF) return cont(1) && cont(2) ? 3 : 0;
  if (c == 0xF0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xF1 && c <= 0xF3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c == 0xF4) return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

bool IsValidUtf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    if (n - i >= 8 && word_scan::HighBytes(word_scan::Load(text.data() + i)) == 0) {
      i += 8;
    } else if (p[i] < 0x80) {
      ++i;
    } else {
      size_t length = Utf8SequenceLength(p + i, n - i);
      if (length == 0) return false;
      i += length;
    }
  }
  return true;
}

namespace {

// The most bytes WriteEscapedJson writes for n input bytes: \u00XX for every one.
constexpr size_t MaxEscapedSize(size_t n) { return 6 * n; }

// Writes text escaped for a JSON string (without the quotes) at out, which has room for
// MaxEscapedSize(text.size()) bytes; returns the end of what it wrote. Straight into the
// destination, a word at a time: each word is stored whole, and the output advances past
// the bytes before its first one that needs escaping. JSON text carried as a payload has
// a quote to escape every few bytes; a step, or a call, per byte cost more than the copying.
char* WriteEscapedJson(std::string_view text, char* out) {
  const char* p = text.data();
  const char* end = p + text.size();
  while (p < end) {
    if (word_scan::kLittleEndian && end - p >= 8) {
      const uint64_t word = word_scan::Load(p);
      std::memcpy(out, &word, sizeof(word));  // room: 8 bytes of input allow 48 of output
      const uint64_t flags = word_scan::BytesToEscape(word);
      const size_t plain = flags == 0 ? 8 : word_scan::FirstFlaggedByte(flags);
      out += plain;
      p += plain;
      if (plain == 8) continue;
    }
    const auto c = static_cast<unsigned char>(*p++);
    if (!kNeedsEscape[c]) {
      *out++ = static_cast<char>(c);
      continue;
    }
    const std::string_view escape = EscapeOf(c);
    std::memcpy(out, escape.data(), escape.size());
    out += escape.size();
  }
  return out;
}

void AppendQuotedJson(std::string_view text, OutputBuffer& out) {
  out.Append('"');
  // In pieces that fit the buffer escaped at worst; escaping is byte by byte, so any cut works.
  const size_t piece = out.capacity() / MaxEscapedSize(1);
  while (!text.empty()) {
    const std::string_view now = text.substr(0, piece);
    char* start = out.Reserve(MaxEscapedSize(now.size()));
    out.Commit(static_cast<size_t>(WriteEscapedJson(now, start) - start));
    text.remove_prefix(now.size());
  }
  out.Append('"');
}

void AppendQuotedJson(std::string_view text, std::string* out) {
  out->push_back('"');
  const size_t at = out->size();
  out->resize(at + MaxEscapedSize(text.size()));
  out->resize(static_cast<size_t>(WriteEscapedJson(text, out->data() + at) - out->data()));
  out->push_back('"');
}

}  // namespace

void AppendJsonString(std::string_view text, OutputBuffer& out) { AppendQuotedJson(text, out); }

void AppendJsonString(std::string_view text, std::string* out) { AppendQuotedJson(text, out); }

void AppendEventJson(const eventlog::Event& event, OutputBuffer& out, std::string_view extra_members) {
  out.Append("{\"offset\":");
  out.AppendDecimal(event.offset);
  char timestamp[kRfc3339NanosLength];
  FormatRfc3339Nanos(event.timestamp_ns, timestamp);
  out.Append(",\"timestamp\":\"");
  out.Append(std::string_view(timestamp, sizeof(timestamp)));
  out.Append('"');
  if (event.key) {
    AppendBytesField("key", *event.key, out);
  } else {
    out.Append(",\"key\":null");
  }
  AppendHeaders(event.headers, out);
  AppendBytesField("payload", event.payload, out);
  out.Append(extra_members);
  out.Append('}');
}

}  // namespace evlog
