// --key globs, --header tests and --grep regexes, on events built in memory.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "codec/event_filter.h"

namespace evlog {
namespace {

bool GlobMatches(std::string_view pattern, std::string_view key) {
  auto glob = KeyGlob::Compile(pattern);
  REQUIRE(glob);
  return glob->Matches(key);
}

EventFilter Filter(EventFilterOptions options) {
  auto filter = EventFilter::Compile(options);
  REQUIRE(filter);
  return std::move(*filter);
}

TEST_CASE("KeyGlobMatchesBytes") {
  CHECK(GlobMatches("user-*", "user-42"));
  CHECK(GlobMatches("user-*", "user-"));
  CHECK_FALSE(GlobMatches("user-*", "user"));
  CHECK(GlobMatches("*-42", "user-42"));
  CHECK(GlobMatches("u?er-[0-9][0-9]", "user-42"));
  CHECK_FALSE(GlobMatches("u?er-[0-9][0-9]", "user-4x"));
  CHECK(GlobMatches("[!a-t]*", "user"));
  CHECK_FALSE(GlobMatches("[^u]*", "user"));
  CHECK(GlobMatches("[]x]", "]"));
  CHECK(GlobMatches("a\\*b*", "a*bc"));
  CHECK_FALSE(GlobMatches("a\\*b*", "axbc"));
  CHECK(GlobMatches("*a*a*a*a*b", std::string(200, 'a') + "b"));
  CHECK_FALSE(GlobMatches("*a*a*a*a*b", std::string(5000, 'a')));
  CHECK(GlobMatches("k?y", std::string("k\0y", 3)));  // a NUL is a byte like any other
  CHECK(GlobMatches("*", ""));
}

TEST_CASE("KeyWithoutGlobCharactersIsExact") {
  CHECK(GlobMatches("a\\b", "a\\b"));
  CHECK_FALSE(GlobMatches("user", "user-1"));
  CHECK(GlobMatches(std::string("k\0y", 3), std::string("k\0y", 3)));
  CHECK_FALSE(GlobMatches(std::string("k\0y", 3), "k"));
}

TEST_CASE("KeyGlobRefusesMalformedPatterns") {
  auto unclosed = KeyGlob::Compile("user-[0-9");
  REQUIRE_FALSE(unclosed);
  CHECK(unclosed.error().message().find("'[' at byte 5 is not closed") != std::string::npos);
  CHECK_FALSE(KeyGlob::Compile("user*\\"));
}

TEST_CASE("PayloadRegexSearchesBinaryPayloads") {
  auto regex = PayloadRegex::Compile("b\\x00c");
  REQUIRE(regex);
  CHECK(regex->Search(std::string("a\0b\0c", 5)) == PayloadRegex::Outcome::kMatch);
  CHECK(regex->Search(std::string("\xff\xfe" "b\0c", 5)) == PayloadRegex::Outcome::kMatch);  // invalid UTF-8
  CHECK(regex->Search("abc") == PayloadRegex::Outcome::kNoMatch);
  CHECK(regex->Search("") == PayloadRegex::Outcome::kNoMatch);
  auto bad = PayloadRegex::Compile("(ab");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message().find("missing closing parenthesis at byte 3") != std::string::npos);
}

TEST_CASE("PayloadRegexGivesUpOnCatastrophicBacktracking") {
  auto regex = PayloadRegex::Compile("(a+)+$");
  REQUIRE(regex);
  CHECK(regex->Search(std::string(100'000, 'a') + "!") == PayloadRegex::Outcome::kLimitExceeded);
  CHECK(regex->Search("aaa") == PayloadRegex::Outcome::kMatch);
}

TEST_CASE("EventFilterCombinesItsTests") {
  const std::vector<eventlog::HeaderView> headers = {{"type", "order"}, {"region", "eu"}};
  eventlog::Event event{.offset = 7, .timestamp_ns = 0, .key = "user-42", .headers = headers, .payload = "total=17"};
  SUBCASE("keys: any") {
    CHECK(Filter({.keys = {"nobody", "user-*"}, .headers = {}, .grep = {}}).Matches(event));
    CHECK_FALSE(Filter({.keys = {"nobody", "user-4"}, .headers = {}, .grep = {}}).Matches(event));
    eventlog::Event keyless = event;
    keyless.key.reset();
    CHECK_FALSE(Filter({.keys = {"*"}, .headers = {}, .grep = {}}).Matches(keyless));
  }
  SUBCASE("headers: all") {
    CHECK(Filter({.keys = {}, .headers = {"type=order", "region=eu"}, .grep = {}}).Matches(event));
    CHECK_FALSE(Filter({.keys = {}, .headers = {"type=order", "region=us"}, .grep = {}}).Matches(event));
    CHECK(Filter({.keys = {}, .headers = {"region"}, .grep = {}}).Matches(event));
    CHECK_FALSE(Filter({.keys = {}, .headers = {"tenant"}, .grep = {}}).Matches(event));
    CHECK_FALSE(Filter({.keys = {}, .headers = {"type="}, .grep = {}}).Matches(event));
  }
  SUBCASE("grep, and the limits counted") {
    CHECK(Filter({.keys = {"user-42"}, .headers = {}, .grep = "total=1[0-9]"}).Matches(event));
    CHECK_FALSE(Filter({.keys = {"user-42"}, .headers = {}, .grep = "total=2"}).Matches(event));
    EventFilter slow = Filter({.keys = {}, .headers = {}, .grep = "(a+)+$"});
    std::string hostile = std::string(50'000, 'a') + "!";
    event.payload = hostile;
    CHECK_FALSE(slow.Matches(event));
    CHECK(slow.undecided() == 1);
    CHECK(slow.first_undecided_offset() == 7);
  }
  CHECK_FALSE(EventFilter::Compile({.keys = {"[x"}, .headers = {}, .grep = {}}));
  CHECK_FALSE(EventFilter::Compile({.keys = {}, .headers = {"=v"}, .grep = {}}));
}

}  // namespace
}  // namespace evlog
