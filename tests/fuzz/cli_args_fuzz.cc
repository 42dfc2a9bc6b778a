// The parsers of the CLI's option values (cli/args/, cli/codec/time_parse): times for
// --since/--until, positions for --from/--to, durations, retention ages and sizes.
//
// Input: 16 bytes giving a log's first and next offset (for the positions), then the text.
// Properties beyond not crashing:
//   - a time that parses prints (RFC 3339, as `tail --json` does) to text that parses back
//     to the same instant; absolute forms do not depend on the current time (a reading
//     without a zone depends on TZ, which a fuzzing run does not change);
//   - a duration, size or position that parses prints back to text that parses the same;
//   - a position never names a range that ends before it starts.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>

#include "args/duration_parse.h"
#include "args/position.h"
#include "args/size_parse.h"
#include "codec/time_parse.h"
#include "fuzz_check.h"

namespace evlog {
namespace {

void CheckTime(std::string_view text) {
  constexpr int64_t kNow = 1764410400123456789;
  const std::optional<int64_t> t = ParseTime(text, kNow);
  const bool relative = text == "now" || text == "today" || text == "yesterday" || text.starts_with('-') ||
                        text.ends_with(" ago");
  if (!relative) FUZZ_CHECK(ParseTime(text, 0) == t);
  if (!t) return;
  if (relative) FUZZ_CHECK(*t <= kNow);
  char printed[kRfc3339NanosLength];
  FormatRfc3339Nanos(*t, printed);
  FUZZ_CHECK(ParseTime(std::string_view(printed, sizeof(printed)), 0) == t);
}

void CheckDuration(std::string_view text) {
  const auto d = ParseDuration(text);
  if (!d) return;
  FUZZ_CHECK(d->count() >= 0 && *d <= kMaxDuration);
  FUZZ_CHECK(ParseDuration(FormatDuration(*d)) == d);
}

void CheckSize(std::string_view text) {
  const auto n = ParseSize(text);
  if (const auto u = ParseUnsigned(text)) FUZZ_CHECK(n == u);
  if (n) FUZZ_CHECK(ParseSize(std::to_string(*n)) == n);
}

void CheckPosition(std::string_view text, const eventlog::LogInfo& info) {
  const auto p = ParsePosition(text);
  if (!p) return;
  using Kind = Position::Kind;
  const std::string printed = p->kind == Kind::kBeginning ? "beginning"
                              : p->kind == Kind::kEnd     ? "end"
                              : p->kind == Kind::kOffset  ? std::to_string(p->value)
                                                          : "-" + std::to_string(p->value);
  const auto again = ParsePosition(printed);
  FUZZ_CHECK(again && again->kind == p->kind && again->value == p->value);
  const uint64_t from = StartOffset(*p, info);
  const uint64_t to = EndOffsetExclusive(*p, info);
  if (p->kind != Kind::kOffset) FUZZ_CHECK(from <= info.next_offset);
  // --from X --to X names the event at X (or nothing, past the end): never a reversed range.
  FUZZ_CHECK(to >= from);
}

}  // namespace
}  // namespace evlog

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  if (size < 16) return 0;
  uint64_t a, b;
  std::memcpy(&a, bytes, 8);
  std::memcpy(&b, bytes + 8, 8);
  eventlog::LogInfo info;
  // As a log can have them: the oldest event's offset is at most 2^64 - 2 (format-spec §2).
  info.first_offset = std::min({a, b, UINT64_MAX - 1});
  info.next_offset = std::max(a, b);
  const std::string_view text(reinterpret_cast<const char*>(bytes) + 16, size - 16);
  evlog::CheckTime(text);
  evlog::CheckDuration(text);
  evlog::CheckSize(text);
  evlog::CheckPosition(text, info);
  return 0;
}
