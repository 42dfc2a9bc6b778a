#include "codec/format_string.h"

namespace evlog {
namespace {

// The byte a backslash escape stands for, or -1 for an unknown escape.
int Unescape(char c) {
  switch (c) {
    case 'n': return '\n';
    case 't': return '\t';
    case 'r': return '\r';
    case '0': return '\0';
    case '\\': return '\\';
    default: return -1;
  }
}

void AppendHeaderList(std::span<const eventlog::HeaderView> headers, OutputBuffer& out) {
  for (size_t i = 0; i < headers.size(); ++i) {
    if (i > 0) out.Append(',');
    out.Append(headers[i].name);
    out.Append('=');
    out.Append(headers[i].value);
  }
}

int64_t FloorMillis(int64_t ns) {
  int64_t ms = ns / 1'000'000;
  return ns % 1'000'000 < 0 ? ms - 1 : ms;
}

}  // namespace

void FormatString::AddLiteral(char c) {
  if (tokens_.empty() || tokens_.back().field != Field::kLiteral) {
    tokens_.push_back({Field::kLiteral, {}});
  }
  tokens_.back().literal += c;
}

eventlog::Result<FormatString> FormatString::Compile(std::string_view text, TimeZoneChoice zone) {
  FormatString format;
  format.zone_ = zone;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c != '%' && c != '\\') {
      format.AddLiteral(c);
      continue;
    }
    if (i + 1 == text.size()) {
      return eventlog::Status::InvalidArgument(std::string("the format ends with a lone ") + c);
    }
    char next = text[++i];
    if (c == '\\') {
      int byte = Unescape(next);
      if (byte < 0)
        return eventlog::Status::InvalidArgument(std::string("unknown escape \\") + next);
      format.AddLiteral(static_cast<char>(byte));
      continue;
    }
    switch (next) {
      case '%': format.AddLiteral('%'); break;
      case 'o': format.tokens_.push_back({Field::kOffset, {}}); break;
      case 'k': format.tokens_.push_back({Field::kKey, {}}); break;
      case 's': format.tokens_.push_back({Field::kPayload, {}}); break;
      case 'S': format.tokens_.push_back({Field::kPayloadSize, {}}); break;
      case 'T': format.tokens_.push_back({Field::kTimeMs, {}}); break;
      case 't': format.tokens_.push_back({Field::kTime, {}}); break;
      case 'h': format.tokens_.push_back({Field::kHeaders, {}}); break;
      default:
        return eventlog::Status::InvalidArgument(std::string("unknown token %") + next +
                                                 " (known: %o %k %s %S %T %t %h %%)");
    }
  }
  return format;
}

void FormatString::Append(const eventlog::Event& event, OutputBuffer& out) const {
  for (const Token& token : tokens_) {
    switch (token.field) {
      case Field::kLiteral: out.Append(token.literal); break;
      case Field::kOffset: out.AppendDecimal(event.offset); break;
      case Field::kKey:
        if (event.key) out.Append(*event.key);
        break;
      case Field::kPayload: out.Append(event.payload); break;
      case Field::kPayloadSize: out.AppendDecimal(uint64_t{event.payload.size()}); break;
      case Field::kTimeMs: out.AppendDecimal(FloorMillis(event.timestamp_ns)); break;
      case Field::kTime: {
        char text[kReadableTimeMaxLength];
        out.Append(std::string_view(text, FormatReadableTime(event.timestamp_ns, zone_, text)));
        break;
      }
      case Field::kHeaders: AppendHeaderList(event.headers, out); break;
    }
  }
}

}  // namespace evlog
