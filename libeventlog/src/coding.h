// Little-endian fixed-width integers and LEB128 varints (format-spec §1).
//
// Decoders never trust their input: every read is bounds-checked against the end of the
// buffer and a varint longer than 10 bytes or wider than 64 bits is rejected.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace eventlog {

inline void PutFixed32(char* dst, uint32_t v) { std::memcpy(dst, &v, 4); }
inline void PutFixed64(char* dst, uint64_t v) { std::memcpy(dst, &v, 8); }
inline void PutFixed16(char* dst, uint16_t v) { std::memcpy(dst, &v, 2); }
inline uint16_t GetFixed16(const char* src) { uint16_t v; std::memcpy(&v, src, 2); return v; }
inline uint32_t GetFixed32(const char* src) { uint32_t v; std::memcpy(&v, src, 4); return v; }
inline uint64_t GetFixed64(const char* src) { uint64_t v; std::memcpy(&v, src, 8); return v; }
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the format is little-endian; add byte swaps");

inline constexpr size_t kMaxVarintBytes = 10;

// Writes v as a varint at dst (which must have kMaxVarintBytes of room); returns the end.
inline char* EncodeVarint(char* dst, uint64_t v) {
  while (v >= 0x80) {
    *dst++ = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  *dst++ = static_cast<char>(v);
  return dst;
}

inline size_t VarintLength(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) { v >>= 7; ++n; }
  return n;
}

inline void AppendVarint(std::string* dst, uint64_t v) {
  char buf[kMaxVarintBytes];
  dst->append(buf, EncodeVarint(buf, v) - buf);
}

// Decodes a varint from [*p, end). On success advances *p and returns true.
inline bool DecodeVarint(const char** p, const char* end, uint64_t* value) {
  const char* q = *p;
  if (q < end && static_cast<unsigned char>(*q) < 0x80) {  // the common one-byte case
    *value = static_cast<unsigned char>(*q);
    *p = q + 1;
    return true;
  }
  uint64_t result = 0;
  for (unsigned shift = 0; shift < 64 && q < end; shift += 7) {
    uint64_t byte = static_cast<unsigned char>(*q++);
    if (shift == 63 && byte > 1) return false;  // does not fit in 64 bits
    result |= (byte & 0x7f) << shift;
    if (byte < 0x80) {
      *value = result;
      *p = q;
      return true;
    }
  }
  return false;
}

// Decodes a varint length followed by that many bytes, all within [*p, end).
inline bool DecodeLengthPrefixed(const char** p, const char* end, std::string_view* out) {
  uint64_t len;
  if (!DecodeVarint(p, end, &len) || len > static_cast<uint64_t>(end - *p)) return false;
  *out = std::string_view(*p, len);
  *p += len;
  return true;
}

}  // namespace eventlog
