// Unit tests for what `evlog bridge` shares between engines: endpoint syntax, the in-order
// confirmation prefix, the outbound pump against a remote that confirms out of order, goes
// away and refuses, and the inbound appender's headers and timestamps. The engines
// themselves are tested against real servers by bridge_*.sh.
#include <doctest/doctest.h>

#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "bridge/bridge_headers.h"
#include "bridge/confirmed_prefix.h"
#include "bridge/endpoint.h"
#include "bridge/inbound_pump.h"
#include "bridge/local_appender.h"
#include "bridge/outbound_pump.h"
#include "bridge/secret_file.h"
#include "eventlog/consumer_groups.h"
#include "eventlog/log.h"
#include "eventlog/reader.h"
#include "replay/signal_pipe.h"
#include "term/report.h"

namespace evlog {
namespace {

using eventlog::Status;

// A directory removed at the end of the test.
struct TempDir {
  TempDir() {
    char name[] = "/tmp/evlog-bridge-test-XXXXXX";
    REQUIRE(mkdtemp(name) != nullptr);
    path = name;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string path;
};

std::unique_ptr<eventlog::Log> NewLog(const std::string& dir, int events) {
  auto log = eventlog::Log::Open(dir, {.create_if_missing = true});
  REQUIRE(log);
  for (int i = 0; i < events; ++i) {
    eventlog::Batch batch = (*log)->NewBatch();
    std::string key = "k" + std::to_string(i % 3);
    std::string payload = "event " + std::to_string(i);
    REQUIRE(batch.Add({.key = key, .payload = payload}).ok());
    REQUIRE((*log)->Append(batch));
  }
  return std::move(*log);
}

const SignalPipe& Signals() {
  static SignalPipe* signals = [] {
    auto installed = SignalPipe::Install();
    REQUIRE(installed);
    return *installed;
  }();
  return *signals;
}

TEST_CASE("EndpointsNameEngineServersAndTopic") {
  auto kafka = ParseEndpoint("kafka://127.0.0.1:9092,broker2:9093/orders");
  REQUIRE(kafka);
  CHECK(kafka->engine == BridgeEngine::kKafka);
  CHECK(kafka->servers == std::vector<std::string>{"127.0.0.1:9092", "broker2:9093"});
  CHECK(kafka->name == "orders");
  auto nats = ParseEndpoint("nats://[::1]:4222/orders.created");
  REQUIRE(nats);
  CHECK(nats->engine == BridgeEngine::kNats);
  CHECK(nats->servers == std::vector<std::string>{"[::1]:4222"});
  CHECK(nats->name == "orders.created");
  for (const char* bad : {"kafka://h:1", "kafka://h/t", "kafka://h:0/t", "kafka://h:65536/t", "kafka://:1/t",
                          "kafka://h:1,/t", "kafka://h:1/", "kafka://h:1/a/b", "kafka://h:1/t?x=1",
                          "http://h:1/t", "kafka://h:1/a b", "nats://::1:4222/s", "kafka://h:x/t"}) {
    auto parsed = ParseEndpoint(bad);
    CHECK_MESSAGE(!parsed, bad);
    if (!parsed) CHECK(parsed.error().message().find(bad) != std::string::npos);
  }
  auto with_password = ParseEndpoint("kafka://user:secret@h:1/t");
  REQUIRE(!with_password);
  CHECK(with_password.error().message().find("credentials") != std::string::npos);
  CHECK(with_password.error().message().find("secret") == std::string::npos);  // never echoed
  CHECK(with_password.error().message().find("kafka://***@h:1/t") != std::string::npos);
}

TEST_CASE("SecretsComeFromFilesAndNeverAppearInErrors") {
  TempDir dir;
  const std::string path = dir.path + "/secret";
  std::FILE* file = std::fopen(path.c_str(), "w");
  REQUIRE(file);
  std::fputs("hunter2\n", file);
  std::fclose(file);
  CHECK(*ReadSecretFile(path) == "hunter2");
  CHECK(*ResolvePropertyValue("@" + path) == "hunter2");
  CHECK(*ResolvePropertyValue("@@literal") == "@literal");
  CHECK(*ResolvePropertyValue("plain") == "plain");
  auto missing = ResolvePropertyValue("@" + dir.path + "/none");
  REQUIRE(!missing);
  CHECK(missing.error().message().find(dir.path + "/none") != std::string::npos);
  std::filesystem::resize_file(path, 100 * 1024);
  auto large = ReadSecretFile(path);
  REQUIRE(!large);
  CHECK(large.error().message().find("hunter2") == std::string::npos);
}

TEST_CASE("ConfirmedPrefixPassesOnlyEventsConfirmedWithAllBefore") {
  ConfirmedPrefix prefix;
  for (uint64_t offset : {3, 4, 7, 8, 9}) prefix.Sent(offset);  // 5 and 6: a compaction gap
  CHECK(!prefix.last_acked());
  CHECK(prefix.Confirm(8));
  CHECK(prefix.Confirm(4));
  CHECK(!prefix.last_acked());
  CHECK(prefix.first_unconfirmed() == 3u);
  CHECK(prefix.Confirm(3));
  CHECK(prefix.last_acked() == 4u);
  CHECK_FALSE(prefix.Confirm(4));  // twice
  CHECK_FALSE(prefix.Confirm(5));  // never sent
  CHECK(prefix.Confirm(7));
  CHECK(prefix.last_acked() == 8u);
  CHECK(prefix.outstanding() == 1);
  CHECK(prefix.Confirm(9));
  CHECK(prefix.last_acked() == 9u);
  CHECK(prefix.outstanding() == 0);
}

// The same contract against a plain model (a map of sent offsets to "confirmed"), over long
// random runs: sends with gaps interleaved with confirmations of sent, unsent and already
// confirmed offsets, so that the array's front is dropped and regrown many times.
TEST_CASE("ConfirmedPrefixMatchesAModelOverLongRandomRuns") {
  const uint64_t seed = std::random_device{}();
  INFO("seed " << seed);
  std::mt19937_64 random(seed);
  ConfirmedPrefix prefix;
  std::map<uint64_t, bool> model;  // sent and not yet passed by last_acked
  std::optional<uint64_t> model_acked;
  uint64_t next = 0;
  for (int step = 0; step < 200000; ++step) {
    if (random() % 3 == 0 || model.empty()) {
      next += 1 + (random() % 8 == 0 ? random() % 5 : 0);
      prefix.Sent(next);
      model[next] = false;
    } else {
      // Mostly an outstanding offset, sometimes any offset up to the last sent.
      uint64_t offset = random() % 4 == 0 ? random() % (next + 2)
                                          : std::next(model.begin(), random() % std::min<size_t>(model.size(), 64))->first;
      auto it = model.find(offset);
      const bool expected = it != model.end() && !it->second;
      REQUIRE(prefix.Confirm(offset) == expected);
      if (expected) it->second = true;
      while (!model.empty() && model.begin()->second) {
        model_acked = model.begin()->first;
        model.erase(model.begin());
      }
    }
    REQUIRE(prefix.last_acked() == model_acked);
    REQUIRE(prefix.outstanding() == model.size());
  }
  std::optional<uint64_t> first;
  for (const auto& [offset, confirmed] : model)
    if (!confirmed) {
      first = offset;
      break;
    }
  CHECK(prefix.first_unconfirmed() == first);
}

// A remote that stores what it is sent and confirms it in a shuffled order, a few at a
// time; it can be "down" (confirms nothing) for a number of polls, and can refuse one
// offset for good.
class ShufflingSink : public RemoteSink {
 public:
  explicit ShufflingSink(uint64_t seed) : random_(seed) {}
  Status Send(const eventlog::Event& event) override {
    stored.emplace_back(event.offset, std::string(event.payload));
    unconfirmed_.push_back(event.offset);
    return Status::Ok();
  }
  Status Poll(std::chrono::milliseconds, std::vector<uint64_t>* confirmed) override {
    if (down_polls > 0) {
      --down_polls;
      return Status::Ok();
    }
    std::shuffle(unconfirmed_.begin(), unconfirmed_.end(), random_);
    size_t n = std::min<size_t>(unconfirmed_.size(), 1 + random_() % 50);
    for (size_t i = 0; i < n; ++i) {
      uint64_t offset = unconfirmed_.back();
      if (refuse && offset == *refuse) return Status::InvalidArgument("refused offset " + std::to_string(offset));
      unconfirmed_.pop_back();
      confirmed->push_back(offset);
    }
    return Status::Ok();
  }
  std::vector<std::pair<uint64_t, std::string>> stored;
  int down_polls = 0;
  std::optional<uint64_t> refuse;

 private:
  std::mt19937_64 random_;
  std::vector<uint64_t> unconfirmed_;
};

TEST_CASE("OutboundPumpAcksOnlyTheConfirmedPrefixAndResumesWithoutLoss") {
  const uint64_t seed = std::random_device{}();
  INFO("seed " << seed);  // replay: set seed to this value
  TempDir dir;
  auto log = NewLog(dir.path + "/log", 2000);
  auto groups = eventlog::ConsumerGroups::Open(*log);
  REQUIRE(groups);
  ShufflingSink sink(seed);
  sink.down_polls = 20;
  sink.refuse = 1234;
  SetQuiet(true);
  OutboundPump first(*log, **groups, sink, Signals(),
                     {.group = "g", .remote = "test://", .max_in_flight = 300, .ack_interval = std::chrono::milliseconds(0)});
  Status refused = first.Run();
  REQUIRE(!refused.ok());
  CHECK(refused.message().find("1234") != std::string::npos);
  auto position = (*groups)->Get("g");
  REQUIRE(position);
  // Never past the refused event, whatever was confirmed after it.
  CHECK(position->position <= 1234);
  CHECK(position->position > 0);

  // The next run starts at the group's position: every event reaches the remote at least
  // once and, past the restart point, in order.
  ShufflingSink second_sink(seed + 1);
  OutboundPump second(*log, **groups, second_sink, Signals(), {.group = "g", .remote = "test://"});
  REQUIRE(second.Run().ok());
  CHECK((*groups)->Get("g")->position == 2000);
  REQUIRE(!second_sink.stored.empty());
  CHECK(second_sink.stored.front().first == position->position);
  std::map<uint64_t, std::string> all;
  for (const auto& [offset, payload] : sink.stored) all[offset] = payload;
  for (size_t i = 0; i < second_sink.stored.size(); ++i) {
    CHECK(second_sink.stored[i].first == position->position + i);
    all[second_sink.stored[i].first] = second_sink.stored[i].second;
  }
  CHECK(all.size() == 2000);
  CHECK(all[1999] == "event 1999");
  CHECK(second.Summary().find("group g at 2000, lag 0") != std::string::npos);
}

TEST_CASE("OutboundPumpWithNothingToRelaySaysSo") {
  TempDir dir;
  auto log = NewLog(dir.path + "/log", 3);
  auto groups = eventlog::ConsumerGroups::Open(*log);
  REQUIRE(groups);
  REQUIRE((*groups)->Ack("g", 2));
  ShufflingSink sink(1);
  OutboundPump pump(*log, **groups, sink, Signals(), {.group = "g", .remote = "test://"});
  REQUIRE(pump.Run().ok());
  CHECK(sink.stored.empty());
  CHECK(pump.Summary() == "nothing to relay: group g is at 3, lag 0");
}

TEST_CASE("LocalAppenderDropsBridgeHeadersAndKeepsTimestampsThatFit") {
  TempDir dir;
  auto log = NewLog(dir.path + "/log", 1);
  auto first = log->NewReader().value();
  eventlog::Event event;
  REQUIRE(*first->Next(&event));
  const int64_t existing = event.timestamp_ns;

  LocalAppender appender(*log);
  auto add = [&](std::optional<int64_t> timestamp, std::string payload) {
    std::string ts = timestamp ? std::to_string(*timestamp) : "";
    // The event's own header named evlog.offset, then what a bridge added after it.
    std::vector<eventlog::HeaderView> headers = {{"app", "x"}, {kOffsetHeader, "mine"}, {kOffsetHeader, "77"},
                                                 {kLogIdHeader, "abc"}};
    if (timestamp) headers.push_back({kTimestampHeader, ts});
    const size_t own = headers.size() - TrailingBridgeHeaders(headers);
    REQUIRE(own == 2);
    REQUIRE(appender.Add(std::string_view("k"), std::span(headers).first(own), std::span(headers).subspan(own), payload,
                         {.partition = 0, .position = 5})
                .ok());
  };
  add(existing + 1000, "kept");
  add(existing - 5'000'000'000, "older than the one before: clamped up");
  add(INT64_MAX, "future: now");
  add(std::nullopt, "none: now");
  REQUIRE(appender.Commit());
  CHECK(appender.appended() == 4);
  CHECK(appender.empty());

  auto reader = log->NewReader();
  REQUIRE(reader);
  REQUIRE((*reader)->SeekToOffset(1).ok());
  std::vector<int64_t> times;
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  while (*(*reader)->Next(&event)) {
    REQUIRE(event.headers.size() == 2);
    CHECK(event.headers[0].name == "app");
    CHECK(event.headers[1].name == kOffsetHeader);
    CHECK(event.headers[1].value == "mine");
    CHECK(event.key == "k");
    times.push_back(event.timestamp_ns);
  }
  REQUIRE(times.size() == 4);
  CHECK(times[0] == existing + 1000);
  CHECK(times[1] == existing + 1000);
  CHECK(times[2] <= now);
  CHECK(times[2] >= times[1]);
  CHECK(times[3] >= times[2]);
}

TEST_CASE("LocalAppenderRefusesAMessageTheLogCannotHoldNamingWhereItCameFrom") {
  TempDir dir;
  auto log = eventlog::Log::Open(dir.path + "/log",
                                 {.create_if_missing = true, .limits = {.segment_bytes = 4096, .max_event_bytes = 1024}});
  REQUIRE(log);
  LocalAppender appender(**log);
  Status refused = appender.Add(std::nullopt, {}, {}, std::string(2000, 'x'), {.partition = 2, .position = 41});
  REQUIRE(!refused.ok());
  CHECK(refused.message().find("partition 2 offset 41") != std::string::npos);
  CHECK(appender.empty());
}

// A source that hands out `total` messages in rounds of `per_fetch` and records commits.
class CountingSource : public RemoteSource {
 public:
  CountingSource(int total, int per_fetch) : total_(total), per_fetch_(per_fetch) {}
  eventlog::Result<bool> Fetch(std::chrono::milliseconds, LocalAppender& appender) override {
    for (int i = 0; i < per_fetch_ && next_ < total_; ++i, ++next_) {
      std::string payload = "m" + std::to_string(next_);
      EVLOG_RETURN_IF_ERROR(appender.Add(std::nullopt, {}, {}, payload, {.position = static_cast<uint64_t>(next_)}));
    }
    return next_ == total_;
  }
  Status CommitFetched() override {
    committed.push_back(next_);
    return Status::Ok();
  }
  std::vector<int> committed;

 private:
  int total_;
  int per_fetch_;
  int next_ = 0;
};

TEST_CASE("InboundPumpCommitsTheRemoteOnlyAfterEachDurableAppend") {
  TempDir dir;
  auto log = eventlog::Log::Open(dir.path + "/log", {.create_if_missing = true});
  REQUIRE(log);
  CountingSource source(250, 100);
  InboundPump pump(**log, source, Signals(), {.remote = "test://"});
  REQUIRE(pump.Run().ok());
  CHECK(source.committed == std::vector<int>{100, 200, 250});
  CHECK((*log)->Info()->next_offset == 250);
  CHECK(pump.Summary().find("appended 250 events (offsets 0..249)") != std::string::npos);
}

// Fetches rounds of the given sizes, the last one caught up, and records after how many
// rounds each commit came: a source may have positions to commit after a round that added
// nothing (Kafka, having skipped messages the log already holds).
class RoundsSource : public RemoteSource {
 public:
  explicit RoundsSource(std::vector<int> rounds) : rounds_(std::move(rounds)) {}
  eventlog::Result<bool> Fetch(std::chrono::milliseconds, LocalAppender& appender) override {
    for (int i = 0; i < rounds_[fetched_]; ++i) {
      EVLOG_RETURN_IF_ERROR(appender.Add(std::nullopt, {}, {}, "m", {.position = static_cast<uint64_t>(i)}));
    }
    return ++fetched_ == rounds_.size();
  }
  Status CommitFetched() override {
    commits_after.push_back(fetched_);
    return Status::Ok();
  }
  std::vector<size_t> commits_after;

 private:
  std::vector<int> rounds_;
  size_t fetched_ = 0;
};

TEST_CASE("InboundPumpLetsTheSourceCommitAfterEveryRoundEvenAnEmptyOne") {
  TempDir dir;
  auto log = eventlog::Log::Open(dir.path + "/log", {.create_if_missing = true});
  REQUIRE(log);
  RoundsSource source({3, 0, 2});
  InboundPump pump(**log, source, Signals(), {.remote = "test://"});
  REQUIRE(pump.Run().ok());
  CHECK(source.commits_after == std::vector<size_t>{1, 2, 3});
  CHECK((*log)->Info()->next_offset == 5);
}

}  // namespace
}  // namespace evlog
