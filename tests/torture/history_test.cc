// The checker itself: a clean history passes, and each invariant, broken by hand, is flagged
// by its name (a checker that cannot fail would make every torture test worthless).
#include <doctest/doctest.h>

#include <algorithm>

#include "history.h"

namespace eventlog::torture {
namespace {

// A hand-made run: appends land in `log` in call order, as a log would assign offsets.
struct Run {
  History h;
  std::vector<LogEvent> log;

  std::vector<LogEvent> Events(uint64_t producer, uint64_t seq, uint32_t n, uint64_t first) const {
    std::vector<LogEvent> out;
    for (uint32_t i = 0; i < n; ++i) out.push_back({first + i, EncodePayload({producer, seq, i, n}, 30)});
    return out;
  }
  AppendRecord& Append(uint64_t producer, uint64_t seq, uint32_t n, Outcome outcome, bool in_log, bool sync = true) {
    AppendRecord a{producer, seq, n, sync, outcome, 0, h.Tick()};
    a.first = log.empty() ? 0 : log.back().offset + 1;
    if (in_log) {
      for (const LogEvent& e : Events(producer, seq, n, a.first)) log.push_back(e);
    }
    if (outcome != Outcome::kUnknown) a.end = h.Tick();
    h.appends.push_back(a);
    return h.appends.back();
  }
  void See(uint64_t consumer, size_t log_index) {
    h.seen.push_back({consumer, log[log_index].offset, log[log_index].payload, 0, h.Tick()});
  }
  void AckGroup(const std::string& group, uint64_t position) {
    const uint64_t start = h.Tick();
    h.group_acks.push_back({group, position, Outcome::kAck, start, h.Tick()});
  }
  void ReadGroup(const std::string& group, uint64_t position) {
    const uint64_t start = h.Tick();
    h.group_reads.push_back({group, position, start, h.Tick()});
  }

  std::vector<std::string> Invariants() const {
    std::vector<std::string> out;
    for (const Violation& v : Check(h, log)) out.push_back(v.invariant);
    return out;
  }
  bool Flags(const std::string& invariant) const {
    auto all = Invariants();
    return std::find(all.begin(), all.end(), invariant) != all.end();
  }
};

// Two producers, batches of several sizes, a failed and two unknown appends, an unsynced
// batch lost in a power loss, readers, and a group: everything a clean run may contain.
Run CleanRun() {
  Run r;
  r.Append(1, 0, 3, Outcome::kAck, true);
  r.Append(2, 0, 1, Outcome::kAck, true);
  r.Append(1, 1, 2, Outcome::kFail, false);
  r.Append(2, 1, 4, Outcome::kUnknown, true);   // killed, but it made it
  r.Append(1, 2, 2, Outcome::kUnknown, false);  // killed before it did
  r.See(7, 0);
  r.See(7, 4);
  r.AckGroup("g", 3);
  r.ReadGroup("g", 3);
  const size_t before_weak = r.log.size();
  r.Append(2, 2, 2, Outcome::kAck, true, /*sync=*/false);
  r.See(8, before_weak);
  r.log.resize(before_weak);  // the power loss took the unsynced batch, which §6.6 allows
  r.h.power_losses.push_back(r.h.Tick());
  r.Append(1, 3, 5, Outcome::kAck, true);
  r.AckGroup("g", 9);
  r.ReadGroup("g", 9);
  r.h.final_groups["g"] = 10;
  return r;
}

TEST_CASE("TheCheckerPassesACleanHistory") {
  Run r = CleanRun();
  CHECK(r.Invariants().empty());
  CHECK(r.log.size() == 13);
}

TEST_CASE("TheCheckerFlagsALostOrMovedAcknowledgedEvent") {
  SUBCASE("missing") {
    Run r = CleanRun();
    r.log.erase(r.log.begin() + 3);  // the one event of p2 s0
    CHECK(r.Flags("lost"));
  }
  SUBCASE("the last batch missing, offsets still contiguous") {
    Run r = CleanRun();
    r.log.resize(r.log.size() - 5);
    CHECK(r.Flags("lost"));
  }
  SUBCASE("at another offset") {
    Run r = CleanRun();
    r.h.appends[1].first += 1;
    CHECK(r.Flags("lost"));
  }
}

TEST_CASE("TheCheckerFlagsAnUnsyncedBatchLostThoughALaterSyncedOneSurvivedTheSamePowerOn") {
  for (bool power_loss_between : {false, true}) {
    CAPTURE(power_loss_between);
    Run r;
    r.Append(1, 0, 1, Outcome::kAck, true);
    r.Append(1, 1, 2, Outcome::kAck, false, /*sync=*/false);
    if (power_loss_between) r.h.power_losses.push_back(r.h.Tick());
    r.Append(2, 0, 1, Outcome::kAck, true);  // its fdatasync made the batch before it durable
    CHECK(r.Flags("lost") == !power_loss_between);
  }
}

TEST_CASE("TheCheckerFlagsAlteredAndForeignEvents") {
  Run r = CleanRun();
  SUBCASE("a byte of the filler") { r.log[2].payload.back() ^= 1; }
  SUBCASE("a byte of the name") { r.log[2].payload[1] = '9'; }
  SUBCASE("an event no producer appended") { r.log[2].payload = EncodePayload({9, 9, 0, 1}, 30); }
  CHECK(r.Flags("altered"));
}

TEST_CASE("TheCheckerFlagsOffsetsThatAreNotUniqueAndContiguous") {
  SUBCASE("a gap") {
    Run r = CleanRun();
    for (size_t i = 5; i < r.log.size(); ++i) r.log[i].offset += 1;
    CHECK(r.Flags("offsets"));
  }
  SUBCASE("a repeated offset") {
    Run r = CleanRun();
    r.log[3].offset = r.log[2].offset;
    CHECK(r.Flags("offsets"));
  }
}

TEST_CASE("TheCheckerFlagsHalfABatch") {
  SUBCASE("an unknown batch cut short at the end") {
    Run r;
    r.Append(1, 0, 2, Outcome::kAck, true);
    r.Append(1, 1, 4, Outcome::kUnknown, true);
    r.log.resize(4);
    CHECK(r.Flags("partial_batch"));
  }
  SUBCASE("events of a batch out of order") {
    Run r = CleanRun();
    std::swap(r.log[5].payload, r.log[6].payload);
    CHECK(r.Flags("partial_batch"));
  }
}

TEST_CASE("TheCheckerFlagsAnEventTwice") {
  Run r = CleanRun();
  r.log.push_back({r.log.back().offset + 1, r.log[0].payload});
  CHECK(r.Flags("duplicate"));
}

TEST_CASE("TheCheckerFlagsADefinitelyFailedAppendInTheLog") {
  Run r;
  r.Append(1, 0, 1, Outcome::kAck, true);
  r.Append(1, 1, 2, Outcome::kFail, true);
  CHECK(r.Flags("failed_present"));
}

TEST_CASE("TheCheckerFlagsAnAppendOrderedBeforeOneAcknowledgedEarlier") {
  Run r;
  r.Append(1, 0, 1, Outcome::kAck, true);
  r.Append(2, 0, 1, Outcome::kAck, true);
  std::swap(r.log[0].payload, r.log[1].payload);
  std::swap(r.h.appends[0].first, r.h.appends[1].first);  // the acks agree with the log
  CHECK(r.Flags("realtime_order"));
  CHECK_FALSE(r.Flags("lost"));
  SUBCASE("overlapping appends may go either way") {
    r.h.appends[0].end = r.h.appends[1].start + 1;
    CHECK(r.Invariants().empty());
  }
}

TEST_CASE("TheCheckerFlagsAProducerWhoseBatchesAreReordered") {
  Run r;
  r.Append(1, 0, 1, Outcome::kUnknown, false);
  r.Append(1, 1, 1, Outcome::kUnknown, false);
  r.log = r.Events(1, 1, 1, 0);
  for (const LogEvent& e : r.Events(1, 0, 1, 1)) r.log.push_back(e);
  CHECK(r.Flags("producer_order"));
  CHECK_FALSE(r.Flags("realtime_order"));
}

TEST_CASE("TheCheckerFlagsAReadEventThatLaterVanished") {
  SUBCASE("a synced event") {
    Run r;
    r.Append(1, 0, 1, Outcome::kUnknown, true);
    r.See(3, 0);
    r.log.clear();
    CHECK(r.Flags("seen_vanished"));
  }
  SUBCASE("replaced at its offset") {
    Run r;
    r.Append(1, 0, 1, Outcome::kUnknown, true);
    r.See(3, 0);
    r.Append(2, 0, 1, Outcome::kUnknown, false);
    r.log = r.Events(2, 0, 1, 0);
    CHECK(r.Flags("seen_vanished"));
  }
  SUBCASE("an unsynced event that is still in the log, but elsewhere") {
    Run r;
    r.Append(1, 0, 1, Outcome::kAck, true, /*sync=*/false);
    r.See(3, 0);
    r.h.seen[0].offset = 5;
    CHECK(r.Flags("seen_vanished"));
  }
}

TEST_CASE("TheCheckerFlagsGroupPositionsThatMoveBackOrAreLost") {
  SUBCASE("a read below an earlier read") {
    Run r = CleanRun();
    r.ReadGroup("g", 4);
    CHECK(r.Flags("group_backwards"));
  }
  SUBCASE("a read below an acknowledged ack") {
    Run r = CleanRun();
    r.AckGroup("h", 5);
    r.ReadGroup("h", 2);
    CHECK(r.Flags("group_lost"));
  }
  SUBCASE("a final position below an ack") {
    Run r = CleanRun();
    r.h.final_groups["g"] = 8;
    CHECK(r.Flags("group_lost"));
  }
}

TEST_CASE("TheCheckerExcusesEventsBelowACompactionBound") {
  Run r = CleanRun();
  r.log.erase(r.log.begin(), r.log.begin() + 4);  // the first two batches
  CHECK(r.Flags("lost"));
  r.h.compacted_below = 4;
  CHECK(r.Invariants().empty());
  r.h.compacted_below = 3;  // the bound does not cover the second batch
  CHECK(r.Flags("lost"));
}

TEST_CASE("PayloadsRoundTripAndRejectEveryAlteredByte") {
  const PayloadId id{12, 345, 6, 7};
  const std::string p = EncodePayload(id, 64);
  CHECK(p.size() == 64);
  REQUIRE(DecodePayload(p).has_value());
  CHECK(*DecodePayload(p) == id);
  CHECK(DecodePayload(EncodePayload(id, 0)) == id);  // just the name
  for (size_t i = 0; i < p.size(); ++i) {
    std::string q = p;
    q[i] ^= 0x04;
    CHECK_MESSAGE(!(DecodePayload(q) == id), "byte " << i);
  }
  CHECK_FALSE(DecodePayload("p1s2i3n3:").has_value());  // index not below count
  CHECK_FALSE(DecodePayload("p01s2i0n3:").has_value());
}

TEST_CASE("HistoriesAndLogsRoundTripThroughJsonLines") {
  Run r = CleanRun();
  r.h.compacted_below = 2;
  r.log[0].payload[3] = '\xff';  // damaged bytes go out as base64 and come back exactly
  History h;
  std::vector<LogEvent> log;
  auto each_line = [](const std::string& text, auto parse) {
    for (size_t from = 0; from < text.size();) {
      const size_t eol = text.find('\n', from);
      CHECK(parse(text.substr(from, eol - from)) == "");
      from = eol + 1;
    }
  };
  each_line(HistoryToJsonLines(r.h), [&](const std::string& line) { return ParseHistoryLine(line, &h); });
  each_line(LogToJsonLines(r.log), [&](const std::string& line) { return ParseLogLine(line, &log); });
  CHECK(log.size() == r.log.size());
  CHECK(log[0].payload == r.log[0].payload);
  CHECK(h.appends.size() == r.h.appends.size());
  CHECK(h.power_losses == r.h.power_losses);
  auto a = Check(h, log), b = Check(r.h, r.log);
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) CHECK(a[i].detail == b[i].detail);
  CHECK(ParseHistoryLine("{\"t\":\"append\",\"producer\":1}", &h) != "");
  CHECK(ParseHistoryLine("{\"t\":\"nonsense\"}", &h) != "");
  CHECK(ParseHistoryLine("# a comment", &h) == "");
}

}  // namespace
}  // namespace eventlog::torture
