#include <doctest/doctest.h>

#include "coding.h"

namespace eventlog {

TEST_CASE("VarintRoundTripsBoundaryValues") {
  for (uint64_t v : {0ull, 1ull, 127ull, 128ull, 16383ull, 16384ull, (1ull << 32) - 1, 1ull << 63, ~0ull}) {
    std::string s;
    AppendVarint(&s, v);
    CHECK(s.size() == VarintLength(v));
    const char* p = s.data();
    uint64_t out = 0;
    REQUIRE(DecodeVarint(&p, s.data() + s.size(), &out));
    CHECK(out == v);
    CHECK(p == s.data() + s.size());
  }
}

TEST_CASE("VarintRejectsTruncatedAndOverlongInput") {
  std::string s;
  AppendVarint(&s, 1ull << 40);
  uint64_t out;
  const char* p = s.data();
  CHECK_FALSE(DecodeVarint(&p, s.data() + s.size() - 1, &out));
  std::string overlong(11, '\x80');
  p = overlong.data();
  CHECK_FALSE(DecodeVarint(&p, overlong.data() + overlong.size(), &out));
  std::string too_wide = std::string(9, '\xff') + '\x02';  // 2^64 and above
  p = too_wide.data();
  CHECK_FALSE(DecodeVarint(&p, too_wide.data() + too_wide.size(), &out));
}

// The definition, a byte at a time, for comparison with DecodeVarint's fast paths.
bool ReferenceDecodeVarint(const char** p, const char* end, uint64_t* value) {
  uint64_t result = 0;
  for (unsigned shift = 0; shift < 64 && *p + shift / 7 < end; shift += 7) {
    const uint64_t byte = static_cast<unsigned char>((*p)[shift / 7]);
    if (shift == 63 && byte > 1) return false;
    result |= (byte & 0x7f) << shift;
    if (byte < 0x80) {
      *value = result;
      *p += shift / 7 + 1;
      return true;
    }
  }
  return false;
}

TEST_CASE("VarintDecodingAgreesWithTheDefinitionOnEveryOneAndTwoByteInput") {
  // Every pair of bytes, decoded from exactly two bytes, from the first byte alone, and with
  // a third byte after them (which a two-byte varint must leave unread).
  for (int first = 0; first < 256; ++first) {
    for (int second = 0; second < 256; ++second) {
      const char bytes[3] = {static_cast<char>(first), static_cast<char>(second), '\x01'};
      for (size_t available : {1, 2, 3}) {
        CAPTURE(first);
        CAPTURE(second);
        CAPTURE(available);
        const char* p = bytes;
        const char* q = bytes;
        uint64_t got = 0, expected = 0;
        const bool ok = DecodeVarint(&p, bytes + available, &got);
        REQUIRE(ok == ReferenceDecodeVarint(&q, bytes + available, &expected));
        if (ok) {
          REQUIRE(got == expected);
          REQUIRE(p == q);
        }
      }
    }
  }
}

TEST_CASE("LengthPrefixedRejectsLengthBeyondBuffer") {
  std::string s;
  AppendVarint(&s, 100);
  s += "short";
  const char* p = s.data();
  std::string_view out;
  CHECK_FALSE(DecodeLengthPrefixed(&p, s.data() + s.size(), &out));
}

}  // namespace eventlog
