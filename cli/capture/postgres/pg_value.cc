#include "capture/postgres/pg_value.h"

#include <charconv>
#include <cmath>
#include <ctime>

#include <fmt/format.h>

#include "capture/postgres/replication_messages.h"
#include "codec/base64.h"
#include "codec/json_envelope.h"

namespace evlog::pg {
namespace {

void AppendText(std::string* out, std::string_view text) {
  if (IsValidUtf8(text)) {
    AppendJsonString(text, out);
    return;
  }
  *out += R"({"$text_base64":")";
  const size_t at = out->size();
  out->resize(at + Base64EncodedSize(text.size()));
  Base64Encode(text, out->data() + at);
  *out += "\"}";
}

bool IsInteger(std::string_view text) {
  int64_t value;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && ptr == text.data() + text.size();
}

// §C1.1's REAL form. float4 is printed as the shortest decimal that reads back as the same
// binary32 (what PostgreSQL itself prints), not as the longer decimal of its binary64 value.
template <typename Float>
bool AppendFloat(std::string* out, std::string_view text) {
  if (text == "NaN" || text == "Infinity" || text == "-Infinity") {
    fmt::format_to(std::back_inserter(*out), R"({{"$real":"{}"}})", text);
    return true;
  }
  Float value;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || !std::isfinite(value)) return false;
  const size_t at = out->size();
  fmt::format_to(std::back_inserter(*out), "{}", value);
  if (out->find_first_of(".eE", at) == std::string::npos) *out += ".0";
  return true;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// bytea's hex output, `\x` then two digits a byte.
bool AppendBytea(std::string* out, std::string_view text) {
  if (text.size() < 2 || text[0] != '\\' || text[1] != 'x' || text.size() % 2 != 0) return false;
  std::string bytes;
  bytes.reserve((text.size() - 2) / 2);
  for (size_t i = 2; i < text.size(); i += 2) {
    const int high = HexDigit(text[i]), low = HexDigit(text[i + 1]);
    if (high < 0 || low < 0) return false;
    bytes.push_back(static_cast<char>(high << 4 | low));
  }
  *out += R"({"$blob_base64":")";
  const size_t at = out->size();
  out->resize(at + Base64EncodedSize(bytes.size()));
  Base64Encode(bytes, out->data() + at);
  *out += "\"}";
  return true;
}

bool AllDigits(std::string_view text) {
  return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
}

}  // namespace

std::string TimestampTzToRfc3339(std::string_view text) {
  // 2024-01-02 03:04:05[.123456]+00
  if (text.size() < 22 || text[10] != ' ' || !text.ends_with("+00")) return std::string(text);
  const std::string_view date = text.substr(0, 10), time = text.substr(11, text.size() - 14);
  const bool date_ok = AllDigits(date.substr(0, 4)) && date[4] == '-' && AllDigits(date.substr(5, 2)) &&
                       date[7] == '-' && AllDigits(date.substr(8, 2));
  const bool time_ok = time.size() >= 8 && AllDigits(time.substr(0, 2)) && time[2] == ':' &&
                       AllDigits(time.substr(3, 2)) && time[5] == ':' && AllDigits(time.substr(6, 2)) &&
                       (time.size() == 8 || (time[8] == '.' && AllDigits(time.substr(9))));
  if (!date_ok || !time_ok) return std::string(text);
  return fmt::format("{}T{}Z", date, time);
}

std::string PgTimestampToRfc3339(PgTimestamp micros) {
  const int64_t unix_micros = micros + kPgEpochMicrosAfterUnix;
  int64_t seconds = unix_micros / 1000000, fraction = unix_micros % 1000000;
  if (fraction < 0) {
    fraction += 1000000;
    --seconds;
  }
  const time_t t = static_cast<time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, fraction);
}

void AppendPgValue(std::string* out, uint32_t oid, const PgValue& value) {
  if (value.kind == PgValue::Kind::kNull) {
    *out += "null";
    return;
  }
  if (value.kind == PgValue::Kind::kUnchangedToast) {
    *out += R"({"$unchanged_toast":true})";
    return;
  }
  const std::string& text = value.text;
  switch (oid) {
    case type_oid::kInt2:
    case type_oid::kInt4:
    case type_oid::kInt8:
    case type_oid::kOid:
      if (IsInteger(text)) {
        *out += text;
        return;
      }
      break;
    case type_oid::kBool:
      if (text == "t" || text == "f") {
        *out += text == "t" ? "true" : "false";
        return;
      }
      break;
    case type_oid::kFloat4:
      if (AppendFloat<float>(out, text)) return;
      break;
    case type_oid::kFloat8:
      if (AppendFloat<double>(out, text)) return;
      break;
    case type_oid::kBytea:
      if (AppendBytea(out, text)) return;
      break;
    case type_oid::kTimestampTz: AppendText(out, TimestampTzToRfc3339(text)); return;
    default: break;
  }
  AppendText(out, text);
}

}  // namespace evlog::pg
