// Unit tests for replay's pure parts: durations, backoff delays, environment names. The
// process supervision is tested against the real binary by replay_*.sh.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iterator>

#include "replay/backoff.h"
#include "args/duration_parse.h"
#include "replay/replay_input.h"

namespace evlog {
namespace {

using std::chrono::milliseconds;

TEST_CASE("ParseDurationNeedsAUnit") {
  CHECK(ParseDuration("250ms") == milliseconds(250));
  CHECK(ParseDuration("2s") == milliseconds(2000));
  CHECK(ParseDuration("5m") == milliseconds(300'000));
  CHECK(ParseDuration("1h") == milliseconds(3'600'000));
  CHECK(ParseDuration("0ms") == milliseconds(0));
  CHECK_FALSE(ParseDuration("2"));
  CHECK_FALSE(ParseDuration(""));
  CHECK_FALSE(ParseDuration("s"));
  CHECK_FALSE(ParseDuration("-1s"));
  CHECK_FALSE(ParseDuration("1.5s"));
  CHECK(ParseDuration("7d") == milliseconds(7 * 86'400'000));
  CHECK_FALSE(ParseDuration("2 s"));
  CHECK_FALSE(ParseDuration("99999999999999999999h"));
  CHECK_FALSE(ParseDuration("876001h"));  // above kMaxDuration
}

TEST_CASE("FormatDurationUsesTheLargestExactUnit") {
  CHECK(FormatDuration(milliseconds(250)) == "250ms");
  CHECK(FormatDuration(milliseconds(2000)) == "2s");
  CHECK(FormatDuration(milliseconds(90'000)) == "90s");
  CHECK(FormatDuration(milliseconds(3'600'000)) == "1h");
  CHECK(FormatDuration(milliseconds(86'400'000)) == "1d");
  CHECK(FormatDuration(milliseconds(0)) == "0ms");
}

TEST_CASE("BackoffDoublesUpToTheCap") {
  Backoff backoff(milliseconds(500), milliseconds(30'000), 1);
  CHECK(backoff.Nominal(1) == milliseconds(500));
  CHECK(backoff.Nominal(2) == milliseconds(1000));
  CHECK(backoff.Nominal(6) == milliseconds(16'000));
  CHECK(backoff.Nominal(7) == milliseconds(30'000));
  CHECK(backoff.Nominal(1000) == milliseconds(30'000));
  SUBCASE("a cap below the initial delay is raised to it") {
    CHECK(Backoff(milliseconds(100), milliseconds(10), 1).Nominal(3) == milliseconds(100));
  }
}

TEST_CASE("BackoffJitterAddsUpToTwentyPercent") {
  Backoff backoff(milliseconds(1000), milliseconds(30'000), 42);
  milliseconds low = milliseconds::max(), high = milliseconds::zero();
  for (int i = 0; i < 1000; ++i) {
    milliseconds delay = backoff.Delay(1);
    low = std::min(low, delay);
    high = std::max(high, delay);
  }
  CHECK(low >= milliseconds(1000));
  CHECK(high <= milliseconds(1200));
  CHECK(high - low > milliseconds(100));  // it does vary
}

TEST_CASE("HeaderVariableNames") {
  CHECK(HeaderVariable("content-type") == "EVLOG_HEADER_CONTENT_TYPE");
  CHECK(HeaderVariable("x.trace_id9") == "EVLOG_HEADER_X_TRACE_ID9");
  CHECK(HeaderVariable("caf\xc3\xa9") == "EVLOG_HEADER_CAF__");
  CHECK(HeaderVariable("") == "EVLOG_HEADER_");
}

TEST_CASE("CommandEnvironmentLastHeaderWins") {
  OwnedEvent event{.offset = 7, .timestamp_ns = 0, .key = std::nullopt,
                   .headers = {{"a.b", "first"}, {"A-B", "last"}}, .payload = "p"};
  ReplayContext context{.log_path = "/l", .group = std::nullopt, .batch = false};
  ValueFiles files;
  auto built = CommandEnvironment({"PATH=/bin"}, {&event, 1}, context, 2, &files);
  REQUIRE(built.has_value());
  const std::vector<std::string>& env = *built;
  CHECK(std::count(env.begin(), env.end(), "EVLOG_HEADER_A_B=last") == 1);
  CHECK(std::none_of(env.begin(), env.end(), [](const std::string& v) { return v.find("first") != std::string::npos; }));
  CHECK(std::count(env.begin(), env.end(), "EVLOG_ATTEMPT=2") == 1);
  CHECK(std::count(env.begin(), env.end(), "EVLOG_TIMESTAMP=1970-01-01T00:00:00.000000000Z") == 1);
  CHECK(std::none_of(env.begin(), env.end(), [](const std::string& v) { return v.rfind("EVLOG_KEY=", 0) == 0; }));
  CHECK(std::none_of(env.begin(), env.end(), [](const std::string& v) { return v.rfind("EVLOG_GROUP=", 0) == 0; }));
}

TEST_CASE("CommandEnvironmentPutsValuesTooLargeForExecInFiles") {
  OwnedEvent event{.offset = 7, .timestamp_ns = 0, .key = std::string(kMaxVariableBytes + 1, 'k'),
                   .headers = {{"small", "s"}, {"big", std::string(200'000, 'v')}}, .payload = "p"};
  ReplayContext context{.log_path = "/l", .group = std::nullopt, .batch = false};
  ValueFiles files;
  auto built = CommandEnvironment({}, {&event, 1}, context, 1, &files);
  REQUIRE(built.has_value());
  auto value_of = [&](std::string_view name) -> std::string {
    for (const std::string& v : *built) {
      if (v.starts_with(name) && v.size() > name.size() && v[name.size()] == '=') return v.substr(name.size() + 1);
    }
    return "(unset)";
  };
  CHECK(value_of("EVLOG_HEADER_SMALL") == "s");
  CHECK(value_of("EVLOG_HEADER_BIG") == "(unset)");
  CHECK(value_of("EVLOG_KEY") == "(unset)");
  const std::string path = value_of("EVLOG_HEADER_BIG_FILE");
  REQUIRE(path.starts_with("/dev/fd/"));
  std::ifstream file(path, std::ios::binary);
  CHECK(std::string(std::istreambuf_iterator<char>(file), {}) == event.headers[1].second);
  CHECK(value_of("EVLOG_KEY_FILE").starts_with("/dev/fd/"));

  ValueFiles all;
  auto everything = CommandEnvironment({}, {&event, 1}, context, 1, &all, true);
  REQUIRE(everything.has_value());
  CHECK(std::none_of(everything->begin(), everything->end(),
                     [](const std::string& v) { return v.starts_with("EVLOG_HEADER_SMALL="); }));
}

TEST_CASE("CommandEnvironmentRefusesAHeaderNameTooLongForAVariable") {
  OwnedEvent event{.offset = 7, .timestamp_ns = 0, .key = std::nullopt,
                   .headers = {{std::string(kMaxHeaderNameBytes + 1, 'n'), "1"}}, .payload = "p"};
  ReplayContext context{.log_path = "/l", .group = std::nullopt, .batch = false};
  ValueFiles files;
  auto built = CommandEnvironment({}, {&event, 1}, context, 1, &files);
  REQUIRE_FALSE(built.has_value());
  CHECK(built.error().code() == eventlog::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace evlog
