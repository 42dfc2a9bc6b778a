#include "codec/time_parse.h"

#include <time.h>

#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstring>

#include "args/duration_parse.h"

namespace evlog {
namespace {

constexpr int64_t kNanosPerSecond = 1'000'000'000;
constexpr int64_t kSecondsPerDay = 86'400;

// Howard Hinnant's days_from_civil / civil_from_days: proleptic Gregorian calendar,
// valid for every date an int64 nanosecond timestamp can hold.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

struct CivilDate {
  int64_t year;
  unsigned month;
  unsigned day;
};

CivilDate CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<int64_t>(yoe) + era * 400 + (m <= 2), m, d};
}

unsigned DaysInMonth(int64_t year, unsigned month) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

// Reads exactly `width` digits at text[*pos].
std::optional<unsigned> Digits(std::string_view text, size_t* pos, size_t width) {
  if (*pos + width > text.size()) return std::nullopt;
  unsigned value = 0;
  for (size_t i = 0; i < width; ++i) {
    char c = text[*pos + i];
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  *pos += width;
  return value;
}

bool Expect(std::string_view text, size_t* pos, std::string_view choices) {
  if (*pos >= text.size() || choices.find(text[*pos]) == std::string_view::npos) return false;
  ++*pos;
  return true;
}

// Seconds since midnight from "HH:MM", "HH:MM:SS" or "HH:MM:SS.fraction" (digits past the
// ninth are dropped, which truncates toward the earlier instant).
std::optional<int64_t> ParseClock(std::string_view text, size_t* pos, int64_t* nanos) {
  auto h = Digits(text, pos, 2);
  if (!h || !Expect(text, pos, ":")) return std::nullopt;
  auto m = Digits(text, pos, 2);
  if (!m || *h > 23 || *m > 59) return std::nullopt;
  *nanos = 0;
  if (!Expect(text, pos, ":")) return int64_t{*h} * 3600 + *m * 60;
  auto s = Digits(text, pos, 2);
  if (!s || *s > 60) return std::nullopt;  // 60: a leap second
  if (*pos < text.size() && text[*pos] == '.') {
    size_t start = ++*pos;
    int64_t scale = kNanosPerSecond;
    while (*pos < text.size() && std::isdigit(static_cast<unsigned char>(text[*pos]))) {
      scale /= 10;
      *nanos += (text[*pos] - '0') * scale;
      ++*pos;
    }
    if (*pos == start) return std::nullopt;
  }
  return int64_t{*h} * 3600 + *m * 60 + *s;
}

// Seconds east of UTC from "Z" or "+HH:MM" / "-HH:MM".
std::optional<int64_t> ParseZone(std::string_view text, size_t* pos) {
  if (Expect(text, pos, "Zz")) return 0;
  if (*pos >= text.size()) return std::nullopt;
  int64_t sign = text[*pos] == '-' ? -1 : 1;
  if (!Expect(text, pos, "+-")) return std::nullopt;
  auto h = Digits(text, pos, 2);
  if (!h || !Expect(text, pos, ":")) return std::nullopt;
  auto m = Digits(text, pos, 2);
  if (!m || *h > 23 || *m > 59) return std::nullopt;
  return sign * (int64_t{*h} * 3600 + *m * 60);
}

std::optional<int64_t> ToNanos(int64_t seconds, int64_t nanos) {
  // In the second that holds INT64_MIN ns (1677-09-21T00:12:43Z), whole seconds alone do not
  // fit though the instant does: borrow the second from the fraction first.
  if (seconds < 0 && nanos > 0) {
    ++seconds;
    nanos -= kNanosPerSecond;
  }
  int64_t result;
  if (__builtin_mul_overflow(seconds, kNanosPerSecond, &result) ||
      __builtin_add_overflow(result, nanos, &result)) {
    return std::nullopt;
  }
  return result;
}

// The Unix time of a wall-clock reading in the zone TZ names (the C library's rules, as
// journalctl uses them). In a gap of a daylight-saving change mktime moves the reading
// forward; in an overlap it picks one of the two instants.
std::optional<int64_t> LocalToUnix(int64_t year, unsigned month, unsigned day, int64_t second_of_day) {
  if (year < 1 || year > 9999) return std::nullopt;
  tm fields{};
  fields.tm_year = static_cast<int>(year - 1900);
  fields.tm_mon = static_cast<int>(month) - 1;
  fields.tm_mday = static_cast<int>(day);
  fields.tm_hour = static_cast<int>(second_of_day / 3600);
  fields.tm_min = static_cast<int>(second_of_day / 60 % 60);
  fields.tm_sec = static_cast<int>(second_of_day % 60);
  fields.tm_isdst = -1;  // the zone's rules decide
  // -1 is also 1969-12-31T23:59:59 UTC: tm_wday, left alone on failure, tells them apart.
  fields.tm_wday = -1;
  time_t t = mktime(&fields);
  if (t == -1 && fields.tm_wday == -1) return std::nullopt;
  return int64_t{t};
}

struct DateTime {
  int64_t year = 0;
  unsigned month = 0;
  unsigned day = 0;
  int64_t second_of_day = 0;
  int64_t nanos = 0;
  bool has_seconds = false;
  std::optional<int64_t> zone;  // seconds east of UTC; none: local time
};

// "YYYY-MM-DD" optionally followed by 'T', 't' or ' ', a clock and a zone.
std::optional<DateTime> ParseDateTime(std::string_view text) {
  DateTime dt;
  size_t pos = 0;
  auto year = Digits(text, &pos, 4);
  if (!year || !Expect(text, &pos, "-")) return std::nullopt;
  auto month = Digits(text, &pos, 2);
  if (!month || !Expect(text, &pos, "-")) return std::nullopt;
  auto day = Digits(text, &pos, 2);
  if (!day || *month < 1 || *month > 12 || *day < 1 || *day > DaysInMonth(*year, *month)) {
    return std::nullopt;
  }
  dt.year = *year;
  dt.month = *month;
  dt.day = *day;
  if (pos == text.size()) return dt;
  if (!Expect(text, &pos, "Tt ")) return std::nullopt;
  const size_t clock_start = pos;
  auto clock = ParseClock(text, &pos, &dt.nanos);
  if (!clock) return std::nullopt;
  dt.second_of_day = *clock;
  dt.has_seconds = pos - clock_start >= 8;  // "HH:MM:SS", not "HH:MM"
  if (pos == text.size()) return dt;
  dt.zone = ParseZone(text, &pos);
  if (!dt.zone || pos != text.size()) return std::nullopt;
  return dt;
}

std::optional<int64_t> DateTimeToNanos(const DateTime& dt) {
  if (!dt.zone) {
    auto seconds = LocalToUnix(dt.year, dt.month, dt.day, dt.second_of_day);
    if (!seconds) return std::nullopt;
    return ToNanos(*seconds, dt.nanos);
  }
  int64_t seconds = DaysFromCivil(dt.year, dt.month, dt.day) * kSecondsPerDay + dt.second_of_day;
  return ToNanos(seconds - *dt.zone, dt.nanos);
}

// Local midnight `days_back` days before the day `now_ns` falls on (today: 0).
std::optional<int64_t> LocalMidnight(int64_t now_ns, int days_back) {
  time_t now = static_cast<time_t>(now_ns / kNanosPerSecond - (now_ns % kNanosPerSecond < 0));
  tm local{};
  if (!localtime_r(&now, &local)) return std::nullopt;
  // mktime normalises a day of the month below 1 into the previous month.
  local.tm_mday -= days_back;
  local.tm_hour = local.tm_min = local.tm_sec = 0;
  local.tm_isdst = -1;
  local.tm_wday = -1;
  time_t t = mktime(&local);
  if (t == -1 && local.tm_wday == -1) return std::nullopt;
  return ToNanos(t, 0);
}

// "-DURATION" or "DURATION ago", in the duration syntax of every other option (duration_parse.h).
std::optional<int64_t> ParseRelative(std::string_view text, int64_t now_ns) {
  constexpr std::string_view kAgo = " ago";
  if (text.starts_with('-')) {
    text.remove_prefix(1);
  } else if (text.ends_with(kAgo)) {
    text.remove_suffix(kAgo.size());
  } else {
    return std::nullopt;
  }
  auto duration = ParseDuration(text);
  if (!duration) return std::nullopt;
  int64_t delta;
  if (__builtin_mul_overflow(int64_t{duration->count()}, int64_t{1'000'000}, &delta) ||
      __builtin_sub_overflow(now_ns, delta, &delta)) {
    return std::nullopt;
  }
  return delta;
}

std::optional<int64_t> ParseEpoch(std::string_view text) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || text[0] == '-' || ec != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  constexpr int64_t kMillisecondsThreshold = 100'000'000'000;  // 10^11
  if (value >= kMillisecondsThreshold) return ToNanos(value / 1000, (value % 1000) * 1'000'000);
  return ToNanos(value, 0);
}

}  // namespace

std::optional<int64_t> ParseTime(std::string_view text, int64_t now_ns) {
  if (text == "now") return now_ns;
  if (text == "today") return LocalMidnight(now_ns, 0);
  if (text == "yesterday") return LocalMidnight(now_ns, 1);
  if (text.size() >= 10 && text[4] == '-') {
    auto dt = ParseDateTime(text);
    return dt ? DateTimeToNanos(*dt) : std::nullopt;
  }
  if (auto relative = ParseRelative(text, now_ns)) return relative;
  return ParseEpoch(text);
}

std::optional<int64_t> ParseRfc3339(std::string_view text) {
  auto dt = ParseDateTime(text);
  if (!dt || !dt->has_seconds || !dt->zone) return std::nullopt;
  return DateTimeToNanos(*dt);
}

int64_t NowNanos() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * kNanosPerSecond + ts.tv_nsec;
}

namespace {

struct SplitTime {
  int64_t seconds;  // floor division, so instants before 1970 still get a fraction in [0, 1)
  int64_t nanos;
};

SplitTime Split(int64_t timestamp_ns) {
  int64_t seconds = timestamp_ns / kNanosPerSecond;
  int64_t nanos = timestamp_ns % kNanosPerSecond;
  if (nanos < 0) {
    nanos += kNanosPerSecond;
    --seconds;
  }
  return {seconds, nanos};
}

void PutDigits(char* out, int64_t value, size_t width) {
  for (size_t i = width; i-- > 0; value /= 10) out[i] = static_cast<char>('0' + value % 10);
}

// "YYYY-MM-DDTHH:MM:SS" (19 bytes) for a UTC second.
void PutUtcDateClock(char* out, int64_t seconds) {
  int64_t days = seconds / kSecondsPerDay;
  int64_t second_of_day = seconds % kSecondsPerDay;
  if (second_of_day < 0) {
    second_of_day += kSecondsPerDay;
    --days;
  }
  CivilDate date = CivilFromDays(days);
  PutDigits(out, date.year, 4);
  out[4] = '-';
  PutDigits(out + 5, date.month, 2);
  out[7] = '-';
  PutDigits(out + 8, date.day, 2);
  out[10] = 'T';
  PutDigits(out + 11, second_of_day / 3600, 2);
  out[13] = ':';
  PutDigits(out + 14, second_of_day / 60 % 60, 2);
  out[16] = ':';
  PutDigits(out + 17, second_of_day % 60, 2);
}

// The date and clock of the second formatted last (19 bytes), for the next event of the
// same second: a log's events come in time order, and a batch shares one timestamp.
struct DateClockMemo {
  int64_t seconds = INT64_MIN;
  char text[19];

  void Put(char* out, int64_t of_seconds) {
    if (of_seconds != seconds) {
      PutUtcDateClock(text, of_seconds);
      seconds = of_seconds;
    }
    std::memcpy(out, text, sizeof text);
  }
};

}  // namespace

void FormatRfc3339Nanos(int64_t timestamp_ns, char out[kRfc3339NanosLength]) {
  thread_local DateClockMemo memo;
  SplitTime t = Split(timestamp_ns);
  memo.Put(out, t.seconds);
  out[19] = '.';
  PutDigits(out + 20, t.nanos, 9);
  out[29] = 'Z';
}

std::string Rfc3339Nanos(int64_t timestamp_ns) {
  char text[kRfc3339NanosLength];
  FormatRfc3339Nanos(timestamp_ns, text);
  return std::string(text, sizeof text);
}

size_t FormatReadableTime(int64_t timestamp_ns, TimeZoneChoice zone, char out[kReadableTimeMaxLength]) {
  SplitTime t = Split(timestamp_ns);
  int64_t offset = 0;
  if (zone == TimeZoneChoice::kLocal) {
    time_t seconds = static_cast<time_t>(t.seconds);
    tm local{};
    if (localtime_r(&seconds, &local)) offset = local.tm_gmtoff;
  }
  PutUtcDateClock(out, t.seconds + offset);
  out[19] = '.';
  PutDigits(out + 20, t.nanos / 1'000'000, 3);
  if (zone == TimeZoneChoice::kUtc) {
    out[23] = 'Z';
    return 24;
  }
  out[23] = offset < 0 ? '-' : '+';
  int64_t minutes = (offset < 0 ? -offset : offset) / 60;
  PutDigits(out + 24, minutes / 60, 2);
  out[26] = ':';
  PutDigits(out + 27, minutes % 60, 2);
  return kReadableTimeMaxLength;
}

}  // namespace evlog
