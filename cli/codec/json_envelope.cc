#include "codec/json_envelope.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <vector>

#include "codec/base64.h"
#include "codec/time_parse.h"

namespace evlog {
namespace {

// Word-at-a-time tests from "Bit Twiddling Hacks": non-zero iff some byte of the word
// qualifies. They let ASCII text that needs no escaping pass 8 bytes per step.
constexpr uint64_t kOnes = 0x0101010101010101ULL;
constexpr uint64_t kHighBits = 0x8080808080808080ULL;

inline uint64_t HasZeroByte(uint64_t w) { return (w - kOnes) & ~w & kHighBits; }
inline uint64_t HasByteBelow(uint64_t w, uint8_t n) { return (w - kOnes * n) & ~w & kHighBits; }
inline uint64_t NeedsEscape(uint64_t w) {
  return HasByteBelow(w, 0x20) | HasZeroByte(w ^ (kOnes * '"')) | HasZeroByte(w ^ (kOnes * '\\'));
}
inline uint64_t Load64(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, sizeof(w));
  return w;
}

constexpr std::array<bool, 256> MakeEscapeTable() {
  std::array<bool, 256> table{};
  for (int c = 0; c < 0x20; ++c) table[c] = true;
  table['"'] = table['\\'] = true;
  return table;
}
constexpr std::array<bool, 256> kNeedsEscape = MakeEscapeTable();

// Appends to a std::string the way OutputBuffer appends to a file, so that one escaper
// serves both.
struct StringSink {
  std::string* out;
  void Append(std::string_view bytes) { out->append(bytes); }
  void Append(char c) { out->push_back(c); }
};

template <typename Sink>
void AppendEscape(unsigned char c, Sink& out) {
  switch (c) {
    case '"': return out.Append("\\\"");
    case '\\': return out.Append("\\\\");
    case '\n': return out.Append("\\n");
    case '\r': return out.Append("\\r");
    case '\t': return out.Append("\\t");
    case '\b': return out.Append("\\b");
    case '\f': return out.Append("\\f");
    default: {
      static constexpr char kHex[] = "0123456789abcdef";
      const char escape[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
      return out.Append(std::string_view(escape, sizeof(escape)));
    }
  }
}

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

bool IsValidUtf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    if (n - i >= 8 && (Load64(text.data() + i) & kHighBits) == 0) {
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

template <typename Sink>
void AppendQuotedJson(std::string_view text, Sink& out) {
  out.Append('"');
  const char* p = text.data();
  const char* end = p + text.size();
  const char* run = p;
  while (p < end) {
    if (end - p >= 8 && !NeedsEscape(Load64(p))) {
      p += 8;
      continue;
    }
    auto c = static_cast<unsigned char>(*p);
    if (!kNeedsEscape[c]) {
      ++p;
      continue;
    }
    out.Append(std::string_view(run, static_cast<size_t>(p - run)));
    AppendEscape(c, out);
    run = ++p;
  }
  out.Append(std::string_view(run, static_cast<size_t>(end - run)));
  out.Append('"');
}

}  // namespace

void AppendJsonString(std::string_view text, OutputBuffer& out) { AppendQuotedJson(text, out); }

void AppendJsonString(std::string_view text, std::string* out) {
  StringSink sink{out};
  AppendQuotedJson(text, sink);
}

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
