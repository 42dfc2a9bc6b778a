#include "capture/value_list.h"

#include <charconv>
#include <cmath>

#include <fmt/format.h>

namespace evlog {

using eventlog::Result;
using eventlog::Status;

namespace {

class ValueListParser {
 public:
  ValueListParser(std::string_view list, const RealParser& parse_real) : list_(list), parse_real_(parse_real) {}

  Result<std::vector<SqlValue>> Parse() {
    std::vector<SqlValue> values;
    for (;;) {
      EVLOG_ASSIGN_OR_RETURN(SqlValue value, ParseLiteral());
      values.push_back(std::move(value));
      if (pos_ == list_.size()) return values;
      if (list_[pos_] != ',') return Bad("expected ',' after a value");
      ++pos_;
    }
  }

 private:
  Status Bad(std::string_view what) const {
    return Status::Corruption(fmt::format("not a value list: {} at byte {}", what, pos_));
  }

  bool Consume(std::string_view prefix) {
    if (!list_.substr(pos_).starts_with(prefix)) return false;
    pos_ += prefix.size();
    return true;
  }

  Result<SqlValue> ParseLiteral() {
    if (Consume("NULL")) return SqlValue::Null();
    if (Consume("'")) return ParseText();
    if (Consume("X'")) return ParseHex(SqlValue::Type::kBlob);
    if (Consume("TX'")) return ParseHex(SqlValue::Type::kText);
    if (Consume("Inf")) return SqlValue::Real(HUGE_VAL);
    if (Consume("-Inf")) return SqlValue::Real(-HUGE_VAL);
    return ParseNumber();
  }

  // '...' with '' for one quote; the bytes between are the text, whatever they are.
  Result<SqlValue> ParseText() {
    std::string text;
    for (;;) {
      const size_t quote = list_.find('\'', pos_);
      if (quote == std::string_view::npos) return Bad("unterminated text literal");
      text.append(list_.substr(pos_, quote - pos_));
      pos_ = quote + 1;
      if (pos_ < list_.size() && list_[pos_] == '\'') {
        text.push_back('\'');
        ++pos_;
        continue;
      }
      return SqlValue::Text(std::move(text));
    }
  }

  static int HexDigit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  }

  Result<SqlValue> ParseHex(SqlValue::Type type) {
    const size_t quote = list_.find('\'', pos_);
    if (quote == std::string_view::npos || (quote - pos_) % 2 != 0) return Bad("malformed hex literal");
    std::string bytes;
    bytes.reserve((quote - pos_) / 2);
    for (size_t i = pos_; i < quote; i += 2) {
      const int high = HexDigit(list_[i]), low = HexDigit(list_[i + 1]);
      if (high < 0 || low < 0) return Bad("malformed hex literal");
      bytes.push_back(static_cast<char>(high << 4 | low));
    }
    pos_ = quote + 1;
    return SqlValue{type, 0, 0, std::move(bytes)};
  }

  Result<SqlValue> ParseNumber() {
    const size_t end = std::min(list_.find(',', pos_), list_.size());
    const std::string_view literal = list_.substr(pos_, end - pos_);
    if (literal.empty()) return Bad("empty value");
    if (literal.find_first_of(".eE") != std::string_view::npos) {
      // CAST turns any text into some number; only a decimal literal may reach it.
      if (literal.find_first_not_of("+-0123456789.eE") != std::string_view::npos) {
        return Bad(fmt::format("unknown literal {}", literal.substr(0, 40)));
      }
      auto real = parse_real_(literal);
      if (!real) return Bad(fmt::format("unreadable real {}", literal));
      pos_ = end;
      return SqlValue::Real(*real);
    }
    int64_t integer;
    auto [ptr, ec] = std::from_chars(literal.data(), literal.data() + literal.size(), integer);
    if (ec != std::errc() || ptr != literal.data() + literal.size()) {
      return Bad(fmt::format("unknown literal {}", literal.substr(0, 40)));
    }
    pos_ = end;
    return SqlValue::Integer(integer);
  }

  std::string_view list_;
  const RealParser& parse_real_;
  size_t pos_ = 0;
};

}  // namespace

Result<std::vector<SqlValue>> ParseValueList(std::string_view list, const RealParser& parse_real) {
  return ValueListParser(list, parse_real).Parse();
}

}  // namespace evlog
