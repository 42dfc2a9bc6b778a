// The line format of format-spec/vectors/*/expected.txt, shared by the generator and the
// test that decodes the vectors: "<offset> <key> <headers> <payload>", bytes in lower-case
// hex, '-' for none or empty, '=' for an empty key.
#pragma once

#include <string>
#include <string_view>

#include "eventlog/event.h"

namespace eventlog::vectors {

inline std::string Hex(std::string_view s) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out.empty() ? "-" : out;
}

inline std::string EventLine(const Event& e) {
  std::string headers;
  for (const HeaderView& h : e.headers) headers += (headers.empty() ? "" : ",") + Hex(h.name) + "=" + Hex(h.value);
  return std::to_string(e.offset) + ' ' + (e.key ? (e.key->empty() ? "=" : Hex(*e.key)) : "-") + ' ' +
         (headers.empty() ? "-" : headers) + ' ' + Hex(e.payload);
}

}  // namespace eventlog::vectors
