#include "codec/base64.h"

#include <array>
#include <cstdint>

namespace evlog {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr int8_t kInvalid = -1;

constexpr std::array<int8_t, 256> MakeDecodeTable() {
  std::array<int8_t, 256> table{};
  for (auto& entry : table) entry = kInvalid;
  for (int i = 0; i < 64; ++i)
    table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int8_t>(i);
  return table;
}
constexpr std::array<int8_t, 256> kDecode = MakeDecodeTable();

}  // namespace

size_t Base64Encode(std::string_view in, char* out) {
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  size_t n = in.size();
  char* o = out;
  for (; n >= 3; n -= 3, p += 3) {
    uint32_t v = uint32_t{p[0]} << 16 | uint32_t{p[1]} << 8 | p[2];
    *o++ = kAlphabet[v >> 18];
    *o++ = kAlphabet[(v >> 12) & 63];
    *o++ = kAlphabet[(v >> 6) & 63];
    *o++ = kAlphabet[v & 63];
  }
  if (n > 0) {
    uint32_t v = uint32_t{p[0]} << 16 | (n == 2 ? uint32_t{p[1]} << 8 : 0);
    *o++ = kAlphabet[v >> 18];
    *o++ = kAlphabet[(v >> 12) & 63];
    *o++ = n == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    *o++ = '=';
  }
  return static_cast<size_t>(o - out);
}

bool Base64Decode(std::string_view in, std::string* out) {
  size_t padding = 0;
  while (padding < 2 && in.size() > padding && in[in.size() - 1 - padding] == '=') ++padding;
  if (padding > 0 && in.size() % 4 != 0) return false;
  in.remove_suffix(padding);
  if (in.size() % 4 == 1) return false;  // a lone sextet cannot carry a whole byte
  out->clear();
  out->reserve(in.size() / 4 * 3 + 2);
  uint32_t bits = 0;
  int bit_count = 0;
  for (char c : in) {
    int8_t v = kDecode[static_cast<unsigned char>(c)];
    if (v == kInvalid) return false;
    bits = (bits << 6) | static_cast<uint32_t>(v);
    bit_count += 6;
    if (bit_count >= 8) {
      bit_count -= 8;
      out->push_back(static_cast<char>((bits >> bit_count) & 0xFF));
    }
  }
  // The bits left over after the last whole byte must be zero (RFC 4648 §3.5): otherwise
  // several texts would decode to the same bytes ("YR==" and "YQ==" both to "a"), and a
  // text that is not what any encoder writes is taken for one that is.
  return (bits & ((uint32_t{1} << bit_count) - 1)) == 0;
}

}  // namespace evlog
