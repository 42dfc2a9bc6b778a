// Assembles PostgreSQL wire bytes (big-endian integers, NUL-terminated strings) for the
// decoder tests, field by field as the protocol documentation lists them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

class PgWire {
 public:
  PgWire& U8(uint8_t v) { bytes_.push_back(static_cast<char>(v)); return *this; }
  PgWire& Tag(char c) { bytes_.push_back(c); return *this; }
  PgWire& I16(int16_t v) { return Int(static_cast<uint16_t>(v), 2); }
  PgWire& I32(int32_t v) { return Int(static_cast<uint32_t>(v), 4); }
  PgWire& U32(uint32_t v) { return Int(v, 4); }
  PgWire& U64(uint64_t v) { return Int(v, 8); }
  PgWire& Str(std::string_view s) { bytes_.append(s); bytes_.push_back('\0'); return *this; }
  PgWire& Raw(std::string_view s) { bytes_.append(s); return *this; }
  // A 't' column value: kind, Int32 length, the text.
  PgWire& Text(std::string_view s) { return Tag('t').I32(static_cast<int32_t>(s.size())).Raw(s); }
  const std::string& bytes() const { return bytes_; }

 private:
  PgWire& Int(uint64_t v, int width) {
    for (int i = width - 1; i >= 0; i--) bytes_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    return *this;
  }
  std::string bytes_;
};
