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

TEST_CASE("LengthPrefixedRejectsLengthBeyondBuffer") {
  std::string s;
  AppendVarint(&s, 100);
  s += "short";
  const char* p = s.data();
  std::string_view out;
  CHECK_FALSE(DecodeLengthPrefixed(&p, s.data() + s.size(), &out));
}

}  // namespace eventlog
