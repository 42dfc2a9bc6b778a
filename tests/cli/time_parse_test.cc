// Times as people write them (--since, --until, groups --reset-to @TIME) and as %t prints
// them, under more than one zone: a reading without a zone is local time, as TZ says.
#include <doctest/doctest.h>
#include <stdlib.h>
#include <time.h>

#include <optional>
#include <string>

#include "codec/time_parse.h"

namespace evlog {
namespace {

constexpr int64_t kNs = 1'000'000'000;
constexpr int64_t kHour = 3600 * kNs;
// 2026-11-29T10:00:00Z.
constexpr int64_t k20261129T10Z = 1'795'946'400 * kNs;

// Sets TZ for the scope of a test case (fixed-offset zones from tzdata), then restores it.
class ScopedTimeZone {
 public:
  explicit ScopedTimeZone(const char* zone) {
    if (const char* old = getenv("TZ")) saved_ = old;
    setenv("TZ", zone, 1);
    tzset();
  }
  ~ScopedTimeZone() {
    if (saved_) {
      setenv("TZ", saved_->c_str(), 1);
    } else {
      unsetenv("TZ");
    }
    tzset();
  }

 private:
  std::optional<std::string> saved_;
};

std::string Readable(int64_t ns, TimeZoneChoice zone) {
  char text[kReadableTimeMaxLength];
  return std::string(text, FormatReadableTime(ns, zone, text));
}

TEST_CASE("ParseTimeWithAZoneIgnoresTZ") {
  ScopedTimeZone tokyo("Asia/Tokyo");
  const int64_t now = 1'800'000'000 * kNs;
  CHECK(ParseTime("2026-11-29T10:00:00Z", now) == k20261129T10Z);
  CHECK(ParseTime("2026-11-29T12:00:00.5+02:00", now) == k20261129T10Z + kNs / 2);
  CHECK(ParseTime("2026-11-29t10:00:00.123456789123z", now) == k20261129T10Z + 123456789);
  CHECK(ParseTime("2026-11-29 11:00+01:00", now) == k20261129T10Z);
  CHECK(ParseTime("2026-11-29T10:00Z", now) == k20261129T10Z);
  CHECK(ParseTime("1970-01-01T00:00:00Z", now) == 0);
  CHECK_FALSE(ParseTime("2026-02-30T00:00:00Z", now));
  CHECK_FALSE(ParseTime("2026-11-29T25:00:00Z", now));
  CHECK_FALSE(ParseTime("2026-11-29T10:00:00+1", now));
  CHECK_FALSE(ParseTime("2026-11-29T10", now));
  CHECK_FALSE(ParseTime("2026-11-29 10:00 ", now));
}

TEST_CASE("ParseTimeWithoutAZoneIsLocal") {
  const int64_t now = 1'800'000'000 * kNs;
  SUBCASE("UTC") {
    ScopedTimeZone utc("UTC");
    CHECK(ParseTime("2026-11-29 10:00", now) == k20261129T10Z);
    CHECK(ParseTime("2026-11-29T10:00:00", now) == k20261129T10Z);
    CHECK(ParseTime("2026-11-29 10:00:00.25", now) == k20261129T10Z + kNs / 4);
    CHECK(ParseTime("2026-11-29", now) == k20261129T10Z - 10 * kHour);
  }
  SUBCASE("Asia/Tokyo, nine hours east") {
    ScopedTimeZone tokyo("Asia/Tokyo");
    CHECK(ParseTime("2026-11-29 19:00", now) == k20261129T10Z);
    CHECK(ParseTime("2026-11-29T19:00:00", now) == k20261129T10Z);
    CHECK(ParseTime("2026-11-29", now) == k20261129T10Z - 19 * kHour);
  }
}

TEST_CASE("ParseTimeNamedDaysAreLocalMidnights") {
  // 2026-11-29T10:00:00Z is 19:00 that day in Tokyo, and 05:00 that day in New York.
  SUBCASE("UTC") {
    ScopedTimeZone utc("UTC");
    CHECK(ParseTime("today", k20261129T10Z) == k20261129T10Z - 10 * kHour);
    CHECK(ParseTime("yesterday", k20261129T10Z) == k20261129T10Z - 34 * kHour);
  }
  SUBCASE("Asia/Tokyo") {
    ScopedTimeZone tokyo("Asia/Tokyo");
    CHECK(ParseTime("today", k20261129T10Z) == k20261129T10Z - 19 * kHour);
    CHECK(ParseTime("yesterday", k20261129T10Z) == k20261129T10Z - 43 * kHour);
    // Just after local midnight, "today" is the day that has just begun.
    CHECK(ParseTime("today", k20261129T10Z + 5 * kHour + kNs) == k20261129T10Z + 5 * kHour);
  }
  CHECK(ParseTime("now", 42) == 42);
}

TEST_CASE("ParseTimeRelativeAndEpoch") {
  const int64_t now = 1'800'000'000 * kNs;
  CHECK(ParseTime("-30s", now) == now - 30 * kNs);
  CHECK(ParseTime("-10m", now) == now - 600 * kNs);
  CHECK(ParseTime("-2h", now) == now - 2 * kHour);
  CHECK(ParseTime("2h ago", now) == now - 2 * kHour);
  CHECK(ParseTime("-1d", now) == now - 24 * kHour);
  CHECK(ParseTime("1d ago", now) == now - 24 * kHour);
  CHECK(ParseTime("-500ms", now) == now - kNs / 2);
  CHECK_FALSE(ParseTime("-5", now));
  CHECK_FALSE(ParseTime("-5y", now));
  CHECK_FALSE(ParseTime("2h  ago", now));
  CHECK_FALSE(ParseTime("ago", now));
  CHECK_FALSE(ParseTime("--30s", now));  // found by fuzzing: it meant 30 s after now
  CHECK(ParseTime("1795946400", now) == k20261129T10Z);
  CHECK(ParseTime("1795946400123", now) == k20261129T10Z + 123'000'000);
  CHECK(ParseTime("4102444800", now) == 4'102'444'800 * kNs);
  CHECK_FALSE(ParseTime("99999999999", now));  // past 2262: beyond int64 nanoseconds
}

TEST_CASE("ParseRfc3339IsStrict") {
  ScopedTimeZone tokyo("Asia/Tokyo");
  CHECK(ParseRfc3339("2026-11-29T10:00:00Z") == k20261129T10Z);
  CHECK(ParseRfc3339("2026-11-29 19:00:00+09:00") == k20261129T10Z);
  CHECK_FALSE(ParseRfc3339("2026-11-29T10:00:00"));  // a JSON envelope must not depend on TZ
  CHECK_FALSE(ParseRfc3339("2026-11-29T10:00Z"));
  CHECK_FALSE(ParseRfc3339("2026-11-29"));
  CHECK_FALSE(ParseRfc3339("-1h"));
}

TEST_CASE("FormatRfc3339NanosRoundTrips") {
  char text[kRfc3339NanosLength];
  FormatRfc3339Nanos(k20261129T10Z + 123456789, text);
  CHECK(std::string(text, sizeof(text)) == "2026-11-29T10:00:00.123456789Z");
  FormatRfc3339Nanos(-1, text);
  CHECK(std::string(text, sizeof(text)) == "1969-12-31T23:59:59.999999999Z");
  // The extremes too: `tail --json` prints any timestamp a log holds, and import reads it back.
  for (int64_t t : {int64_t{0}, int64_t{951'782'400} * kNs + 7, int64_t{4'102'444'800} * kNs - 1, INT64_MIN,
                    INT64_MIN + kNs - 1, INT64_MAX}) {
    FormatRfc3339Nanos(t, text);
    CHECK(ParseTime(std::string_view(text, sizeof(text)), 0) == t);
  }
}

TEST_CASE("FormatRfc3339NanosIsRightAcrossRepeatsAndChangesOfTheSecond") {
  // The date and clock of the last second are reused: a sequence that stays in a second,
  // leaves it, comes back and crosses midnight must format as each value alone would.
  const int64_t midnight = k20261129T10Z + 14 * 3600 * kNs;  // 2026-11-30T00:00:00Z
  const std::pair<int64_t, const char*> expected[] = {
      {midnight - kNs, "2026-11-29T23:59:59.000000000Z"},
      {midnight - 1, "2026-11-29T23:59:59.999999999Z"},
      {midnight, "2026-11-30T00:00:00.000000000Z"},
      {midnight + 5, "2026-11-30T00:00:00.000000005Z"},
      {midnight - 1, "2026-11-29T23:59:59.999999999Z"},
      {midnight + 5, "2026-11-30T00:00:00.000000005Z"},
      {-1, "1969-12-31T23:59:59.999999999Z"},
      {-1, "1969-12-31T23:59:59.999999999Z"},
      {0, "1970-01-01T00:00:00.000000000Z"},
  };
  char text[kRfc3339NanosLength];
  for (const auto& pair : expected) {
    const int64_t t = pair.first;  // not a structured binding: CAPTURE's lambda must take it
    CAPTURE(t);
    FormatRfc3339Nanos(t, text);
    CHECK(std::string(text, sizeof(text)) == pair.second);
  }
}

TEST_CASE("FormatReadableTimeInTheChosenZone") {
  const int64_t t = k20261129T10Z + 123'456'789;
  SUBCASE("Asia/Tokyo") {
    ScopedTimeZone tokyo("Asia/Tokyo");
    CHECK(Readable(t, TimeZoneChoice::kLocal) == "2026-11-29T19:00:00.123+09:00");
    CHECK(Readable(t, TimeZoneChoice::kUtc) == "2026-11-29T10:00:00.123Z");
    CHECK(ParseTime(Readable(t, TimeZoneChoice::kLocal), 0) == k20261129T10Z + 123'000'000);
  }
  SUBCASE("America/Caracas, west and not whole hours in 2016") {
    ScopedTimeZone caracas("America/Caracas");
    CHECK(Readable(1'451'606'400 * kNs, TimeZoneChoice::kLocal) == "2015-12-31T19:30:00.000-04:30");
  }
  SUBCASE("UTC") {
    ScopedTimeZone utc("UTC");
    CHECK(Readable(-1, TimeZoneChoice::kLocal) == "1969-12-31T23:59:59.999+00:00");
  }
}

}  // namespace
}  // namespace evlog
