// Salvage (issue 7, item 20): one flipped byte in a big batch must not make all of its events
// unrecoverable. The batch stays the unit of trust: its events come back unverified.
#include <doctest/doctest.h>

#include "eventlog/salvage.h"
#include "format.h"
#include "test_helpers.h"

namespace eventlog::test {
namespace {

struct Salvaged {
  std::vector<std::pair<std::string, bool>> events;  // payload, verified
  SalvageReport report;
};

Salvaged Salvage(TestLog& t) {
  Salvaged out;
  auto report = SalvageLog(t.log(), [&](const Event& e, bool verified) {
    out.events.emplace_back(std::string(e.payload), verified);
    return Status::Ok();
  });
  REQUIRE_MESSAGE(report.has_value(), report.status().message());
  out.report = *report;
  return out;
}

}  // namespace

TEST_CASE("SalvageRecoversTheEventsOfABatchWithOneFlippedByte") {
  TestLog t;
  REQUIRE(t.Append({"before"}).has_value());
  const std::vector<std::string> big = Numbered("line-", 0, 3000);
  REQUIRE(t.Append(big).has_value());
  REQUIRE(t.Append({"after"}).has_value());
  const uint64_t big_frame = format::segment::kHeaderSize + format::AlignUp(format::frame::kHeaderSize + 11);
  t.FlipBit(t.SegmentPath(0), (big_frame + format::frame::kHeaderSize + 20000) * 8 + 2);
  REQUIRE_FALSE(t.ReadAll().has_value());  // the reader refuses the damaged batch

  Salvaged s = Salvage(t);
  REQUIRE(s.report.damaged.size() == 1);
  CHECK(s.report.damaged[0].position == big_frame);
  CHECK(s.report.verified_events == 2);
  CHECK(s.report.unverified_events >= 2998);  // at most the damaged record is lost
  CHECK(s.report.damaged[0].events == s.report.unverified_events);
  REQUIRE(s.events.size() >= 3000);
  CHECK(s.events.front() == std::make_pair(std::string("before"), true));
  CHECK(s.events.back() == std::make_pair(std::string("after"), true));
  CHECK(s.events[1] == std::make_pair(std::string("line-0"), false));
  CHECK(s.events[s.events.size() - 2] == std::make_pair(std::string("line-2999"), false));
}

TEST_CASE("SalvageOfAHealthyLogReturnsEverythingVerified") {
  TestLog t({.segment_bytes = 4096});
  for (int i = 0; i < 50; ++i) REQUIRE(t.Append({std::string(100, 'a' + i % 26)}).has_value());
  Salvaged s = Salvage(t);
  CHECK(s.report.damaged.empty());
  CHECK(s.report.verified_events == 50);
  CHECK(s.events.size() == 50);
}

TEST_CASE("SalvageResumesAfterAFrameWhoseLengthIsDamaged") {
  TestLog t;
  REQUIRE(t.Append({"a"}).has_value());
  REQUIRE(t.Append({"b"}).has_value());
  REQUIRE(t.Append({"c"}).has_value());
  const uint64_t second = format::segment::kHeaderSize + format::AlignUp(format::frame::kHeaderSize + 6);
  t.FlipBit(t.SegmentPath(0), (second + format::frame::kLengthAt) * 8 + 20);  // a huge length
  Salvaged s = Salvage(t);
  REQUIRE(s.report.damaged.size() == 1);
  CHECK(s.report.damaged[0].position == second);
  const std::vector<std::pair<std::string, bool>> expected{{"a", true}, {"c", true}};
  CHECK(s.events == expected);
}

}  // namespace eventlog::test
