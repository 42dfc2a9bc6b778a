// `tail --format`: kcat-style output templates, compiled once and applied per event.
//
//   %o offset   %k key (empty if none)   %s payload   %S payload length in bytes
//   %T timestamp in milliseconds since the epoch   %h headers as name=value,name=value
//   %t the time for people: 2026-11-29T22:33:54.123+01:00 in the zone TZ names, or in UTC
//   %% a literal %   and the escapes \n \t \r \0 and \\ (a backslash)
//
// Nothing is added between events: the template carries its own separators.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "eventlog/event.h"
#include "eventlog/status.h"
#include "codec/output_buffer.h"
#include "codec/time_parse.h"

namespace evlog {

class FormatString {
 public:
  // kInvalidArgument naming the bad token, e.g. "unknown token %x".
  // `zone` is where %t prints times.
  static eventlog::Result<FormatString> Compile(std::string_view text,
                                                TimeZoneChoice zone = TimeZoneChoice::kLocal);

  void Append(const eventlog::Event& event, OutputBuffer& out) const;

 private:
  enum class Field : char { kLiteral, kOffset, kKey, kPayload, kPayloadSize, kTimeMs, kTime, kHeaders };
  struct Token {
    Field field;
    std::string literal;  // for kLiteral
  };
  void AddLiteral(char c);

  std::vector<Token> tokens_;
  TimeZoneChoice zone_ = TimeZoneChoice::kLocal;
};

}  // namespace evlog
