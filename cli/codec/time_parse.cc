#include "codec/time_parse.h"

#include <time.h>

#include <cctype>
#include <charconv>

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

// Seconds since midnight from "HH:MM:SS", and nanoseconds from an optional ".fraction"
// (digits past the ninth are dropped, which truncates toward the earlier instant).
std::optional<int64_t> ParseClock(std::string_view text, size_t* pos, int64_t* nanos) {
  auto h = Digits(text, pos, 2);
  if (!h || !Expect(text, pos, ":")) return std::nullopt;
  auto m = Digits(text, pos, 2);
  if (!m || !Expect(text, pos, ":")) return std::nullopt;
  auto s = Digits(text, pos, 2);
  if (!s || *h > 23 || *m > 59 || *s > 60) return std::nullopt;  // 60: a leap second
  *nanos = 0;
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

std::optional<int64_t> ParseRfc3339(std::string_view text) {
  size_t pos = 0;
  auto year = Digits(text, &pos, 4);
  if (!year || !Expect(text, &pos, "-")) return std::nullopt;
  auto month = Digits(text, &pos, 2);
  if (!month || !Expect(text, &pos, "-")) return std::nullopt;
  auto day = Digits(text, &pos, 2);
  if (!day || *month < 1 || *month > 12 || *day < 1 || *day > DaysInMonth(*year, *month)) {
    return std::nullopt;
  }
  int64_t seconds = DaysFromCivil(*year, *month, *day) * kSecondsPerDay;
  if (pos == text.size()) return ToNanos(seconds, 0);
  int64_t nanos = 0;
  if (!Expect(text, &pos, "Tt ")) return std::nullopt;
  auto clock = ParseClock(text, &pos, &nanos);
  if (!clock) return std::nullopt;
  auto zone = ParseZone(text, &pos);
  if (!zone || pos != text.size()) return std::nullopt;
  return ToNanos(seconds + *clock - *zone, nanos);
}

std::optional<int64_t> ParseRelative(std::string_view text, int64_t now_ns) {
  // A digit must follow: from_chars would take "--30s" as -30, an instant after now.
  if (text.size() < 3 || text[0] != '-' || !std::isdigit(static_cast<unsigned char>(text[1]))) return std::nullopt;
  int64_t amount = 0;
  auto [end, ec] = std::from_chars(text.data() + 1, text.data() + text.size(), amount);
  if (ec != std::errc() || end == text.data() + 1) return std::nullopt;
  std::string_view unit(end, static_cast<size_t>(text.data() + text.size() - end));
  int64_t unit_ns;
  if (unit == "ms")
    unit_ns = 1'000'000;
  else if (unit == "s")
    unit_ns = kNanosPerSecond;
  else if (unit == "m")
    unit_ns = 60 * kNanosPerSecond;
  else if (unit == "h")
    unit_ns = 3600 * kNanosPerSecond;
  else if (unit == "d")
    unit_ns = kSecondsPerDay * kNanosPerSecond;
  else
    return std::nullopt;
  int64_t delta;
  if (__builtin_mul_overflow(amount, unit_ns, &delta) ||
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
  if (text.size() >= 10 && text[4] == '-') return ParseRfc3339(text);
  if (!text.empty() && text[0] == '-') return ParseRelative(text, now_ns);
  return ParseEpoch(text);
}

int64_t NowNanos() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * kNanosPerSecond + ts.tv_nsec;
}

void FormatRfc3339Nanos(int64_t timestamp_ns, char out[kRfc3339NanosLength]) {
  // Floor division, so instants before 1970 still get a fraction in [0, 1).
  int64_t seconds = timestamp_ns / kNanosPerSecond;
  int64_t nanos = timestamp_ns % kNanosPerSecond;
  if (nanos < 0) {
    nanos += kNanosPerSecond;
    --seconds;
  }
  int64_t days = seconds / kSecondsPerDay;
  int64_t second_of_day = seconds % kSecondsPerDay;
  if (second_of_day < 0) {
    second_of_day += kSecondsPerDay;
    --days;
  }
  CivilDate date = CivilFromDays(days);
  auto put = [&out](size_t at, int64_t value, size_t width) {
    for (size_t i = width; i-- > 0; value /= 10) out[at + i] = static_cast<char>('0' + value % 10);
  };
  put(0, date.year, 4);
  out[4] = '-';
  put(5, date.month, 2);
  out[7] = '-';
  put(8, date.day, 2);
  out[10] = 'T';
  put(11, second_of_day / 3600, 2);
  out[13] = ':';
  put(14, second_of_day / 60 % 60, 2);
  out[16] = ':';
  put(17, second_of_day % 60, 2);
  out[19] = '.';
  put(20, nanos, 9);
  out[29] = 'Z';
}

std::string Rfc3339Nanos(int64_t timestamp_ns) {
  char text[kRfc3339NanosLength];
  FormatRfc3339Nanos(timestamp_ns, text);
  return std::string(text, sizeof text);
}

}  // namespace evlog
