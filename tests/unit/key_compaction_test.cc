// Key compaction (eventlog/compaction.h, format-spec §13.2): Kafka's guarantees (offsets and
// order never change, unkeyed events stay, tombstones delete their key and go after their
// retention), a clean verify across rewritten segments, and crash safety of each rewrite.
#include <doctest/doctest.h>

#include <map>
#include <optional>
#include <set>

#include "compaction_test_helpers.h"
#include "eventlog/verify.h"
#include "format.h"
#include "format_blocks.h"

namespace eventlog::test {
namespace {

struct Ev {
  std::optional<std::string> key;
  std::string payload;
};

void Put(TestLog& t, const std::vector<Ev>& events) {
  Batch batch = t.log().NewBatch();
  for (const Ev& e : events) {
    std::optional<std::string_view> key;
    if (e.key) key = *e.key;
    REQUIRE(batch.Add({.key = key, .payload = e.payload}).ok());
  }
  REQUIRE(t.log().Append(batch).has_value());
}

// Eight keys written round after round in batches of four, every fifth event unkeyed; k3 is
// deleted early by a tombstone (and never written again), k5 deleted and written again.
// Both tombstones lie in the first segment.
// Appends until the log has `segments` segments, then a last value of k1 (in the active one).
std::vector<ReadEvent> Workload(TestLog& t, size_t segments) {
  int i = 0;
  while (Segments(t).size() < segments) {
    std::vector<Ev> batch;
    for (int j = 0; j < 4; ++j, ++i) {
      const std::string value = "v" + std::to_string(i) + "." + std::string(100, 'x');
      if (i % 5 == 4) {
        batch.push_back({std::nullopt, value});
      } else if (i == 21 || i == 27) {
        batch.push_back({"k" + std::to_string(i % 8), ""});  // tombstones of k5 and k3
      } else if (i % 8 == 3 && i > 27) {
        batch.push_back({std::nullopt, value});  // k3 stays deleted
      } else {
        batch.push_back({"k" + std::to_string(i % 8), value});
      }
    }
    Put(t, batch);
  }
  Put(t, {{"k1", "last"}});
  auto all = t.ReadAll();
  REQUIRE(all.has_value());
  return *all;
}

// What key compaction must leave: every event at or after `active` (the active segment),
// unkeyed events, and the newest event of each key unless it is a tombstone older than
// `tombstone_before`.
std::vector<ReadEvent> Survivors(const std::vector<ReadEvent>& all, uint64_t active, int64_t tombstone_before) {
  std::map<std::string, uint64_t> newest;
  for (const ReadEvent& e : all) {
    if (e.key) newest[*e.key] = e.offset;
  }
  std::vector<ReadEvent> out;
  for (const ReadEvent& e : all) {
    bool keep = e.offset >= active || !e.key ||
                (newest[*e.key] == e.offset && !(e.payload.empty() && e.timestamp < tombstone_before));
    if (keep) out.push_back(e);
  }
  return out;
}

std::vector<std::pair<uint64_t, std::string>> Summary(const std::vector<ReadEvent>& events) {
  std::vector<std::pair<uint64_t, std::string>> out;
  for (const ReadEvent& e : events) out.emplace_back(e.offset, (e.key ? *e.key : "-") + "=" + e.payload);
  return out;
}

// Appends `events` as one batch at the log's next offset, all with `timestamp`, as an
// append at that moment would: a test then chooses how far apart its batches are.
void PutAt(TestLog& t, const std::vector<Ev>& events, int64_t timestamp) {
  auto info = t.log().Info();
  REQUIRE(info.has_value());
  Batch batch = t.log().NewBatch();
  uint64_t offset = info->next_offset;
  for (const Ev& e : events) {
    std::optional<std::string_view> key;
    if (e.key) key = *e.key;
    REQUIRE(batch.AddAt({.key = key, .payload = e.payload}, offset++, timestamp).ok());
  }
  REQUIRE(t.log().Append(batch).has_value());
}

std::vector<ReadEvent> ReadAll(TestLog& t) {
  auto events = t.ReadAll();
  REQUIRE_MESSAGE(events.has_value(), events.status().message());
  return *events;
}

void CheckVerifiesClean(TestLog& t) {
  auto report = VerifyLog(t.log());
  REQUIRE_MESSAGE(report.has_value(), report.status().message());
  for (const VerifyProblem& p : report->problems) CHECK_MESSAGE(false, p.file << ": " << p.message);
}

SegmentHeader Header(TestLog& t, uint64_t base) {
  auto header = DecodeSegmentHeader(t.Contents(t.SegmentPath(base)).substr(0, format::kBlockSize), "test");
  REQUIRE(header.has_value());
  return *header;
}

constexpr int64_t kDay = 24 * 3'600'000'000'000;

}  // namespace

TEST_CASE("KeyCompactionKeepsOffsetsOrderUnkeyedEventsAndTheNewestValueOfEachKey") {
  TestLog t({.segment_bytes = 4096});
  std::vector<ReadEvent> all = Workload(t, 5);
  std::vector<uint64_t> segs = Segments(t);
  CompactionReport r = Compact(t, {.keep_latest_per_key = true});
  REQUIRE(r.keys.has_value());
  std::vector<ReadEvent> expected = Survivors(all, segs.back(), all.front().timestamp - kDay);
  CHECK(Summary(ReadAll(t)) == Summary(expected));
  CHECK(r.keys->events_removed == all.size() - expected.size());
  CHECK(r.keys->keys == 8);
  CHECK(r.keys->bytes_reclaimed > 0);
  CHECK(Segments(t) == segs);  // every closed segment keeps some event here: none deleted
  REQUIRE(t.Reopen().ok());
  CHECK(Summary(ReadAll(t)) == Summary(expected));
}

TEST_CASE("TombstonesDeleteTheirKeyAndAreRemovedOnlyAfterTheirRetention") {
  TestLog t({.segment_bytes = 4096});
  std::vector<ReadEvent> all = Workload(t, 5);
  const uint64_t active = Segments(t).back();
  const int64_t now = all.back().timestamp + 1000;
  auto has_k3 = [&] {
    for (const ReadEvent& e : ReadAll(t)) {
      if (e.key == "k3") return true;
    }
    return false;
  };
  CompactionReport r = Compact(t, {.now_ns = now, .keep_latest_per_key = true, .tombstone_retention_ns = kDay});
  CHECK(Summary(ReadAll(t)) == Summary(Survivors(all, active, now - kDay)));
  CHECK(has_k3());  // its tombstone, within its retention
  CHECK(r.keys->tombstones_removed == 1);  // k5's: superseded by a later value
  r = Compact(t, {.now_ns = now, .keep_latest_per_key = true, .tombstone_retention_ns = 0});
  CHECK(Summary(ReadAll(t)) == Summary(Survivors(all, active, now)));
  CHECK(!has_k3());
  CHECK(r.keys->tombstones_removed == 1);  // k3's: expired
  CheckVerifiesClean(t);
}

TEST_CASE("VerifyFindsNoCorruptionAcrossRewrittenSegmentsAndRecoveryFollowsTheirChainOut") {
  TestLog t({.segment_bytes = 4096});
  std::vector<ReadEvent> all = Workload(t, 5);
  std::vector<uint64_t> segs = Segments(t);
  Compact(t, {.keep_latest_per_key = true});
  CHECK(Header(t, segs[1]).chain_out != 0);
  CHECK(Header(t, segs.back()).chain_out == 0);  // the active segment is never rewritten
  CheckVerifiesClean(t);
  // HEAD lost: recovery scans the newest segment, chaining from the rewritten one before it.
  t.SetContents(std::string(TestLog::kDir) + "/HEAD", std::string(format::kBlockSize, '\0'));
  REQUIRE(t.Reopen().ok());
  Status recovered = t.log().Recover();
  REQUIRE_MESSAGE(recovered.ok(), recovered.message());
  Put(t, {{"k1", "after"}});
  CHECK(ReadAll(t).back().payload == "after");
  CheckVerifiesClean(t);
}

TEST_CASE("ASegmentThatLosesNothingIsNotRewritten") {
  TestLog t({.segment_bytes = 4096});
  while (Segments(t).size() < 3) Put(t, {{std::nullopt, std::string(300, 'u')}});
  Put(t, {{"k", "1"}, {"k", "2"}});
  const std::vector<uint64_t> segs = Segments(t);
  const std::string before = t.Contents(t.SegmentPath(segs[0]));
  CompactionReport r = Compact(t, {.keep_latest_per_key = true});
  CHECK(r.keys->segments.empty());
  CHECK(t.Contents(t.SegmentPath(segs[0])) == before);
}

TEST_CASE("ASegmentEmptiedByKeyCompactionIsDeletedOnlyAtTheOldEnd") {
  TestLog t({.segment_bytes = 4096});
  while (Segments(t).size() < 2) Put(t, {{"a", std::string(300, 'a')}});
  Put(t, {{std::nullopt, "unkeyed"}});
  while (Segments(t).size() < 4) Put(t, {{"a", std::string(300, 'b')}});
  Put(t, {{"a", "newest"}});
  const std::vector<uint64_t> segs = Segments(t);
  CompactionReport r = Compact(t, {.keep_latest_per_key = true});
  REQUIRE(r.keys->segments.size() == 3);
  CHECK(r.keys->segments[0].deleted);   // all "a", the oldest: the log now starts later
  CHECK(!r.keys->segments[2].deleted);  // all "a", but an older segment stays: header only
  CHECK(Segments(t) == std::vector<uint64_t>{segs[1], segs[2], segs[3]});
  CHECK(t.Contents(t.SegmentPath(segs[2])).size() == format::segment::kHeaderSize);
  std::vector<ReadEvent> events = ReadAll(t);
  REQUIRE(events.size() >= 2);
  CHECK(events[0].payload == "unkeyed");
  CHECK(events[1].offset >= segs[3]);  // the rest lie in the active segment
  CHECK(events.back().payload == "newest");
  CheckVerifiesClean(t);
}

TEST_CASE("ReadingFromARemovedOffsetStartsAtTheNextSurvivor") {
  TestLog t({.segment_bytes = 4096});
  std::vector<ReadEvent> all = Workload(t, 4);
  Compact(t, {.keep_latest_per_key = true});
  std::set<uint64_t> surviving;
  for (const ReadEvent& e : ReadAll(t)) surviving.insert(e.offset);
  uint64_t removed = 0;
  while (surviving.count(removed)) ++removed;
  auto reader = t.log().NewReader();
  REQUIRE(reader.has_value());
  REQUIRE((*reader)->SeekToOffset(removed).ok());
  auto events = ReadFrom(**reader);
  REQUIRE(events.has_value());
  REQUIRE(!events->empty());
  CHECK(events->front().offset == *surviving.upper_bound(removed));
}

TEST_CASE("AReaderWithTheOldSegmentOpenKeepsReadingIt") {
  TestLog t({.segment_bytes = 4096});
  std::vector<ReadEvent> all = Workload(t, 4);
  std::vector<uint64_t> segs = Segments(t);
  auto reader = t.log().NewReader();
  REQUIRE(reader.has_value());
  Event first;
  REQUIRE((*reader)->Next(&first).value());
  Compact(t, {.keep_latest_per_key = true});
  auto rest = ReadFrom(**reader);
  REQUIRE_MESSAGE(rest.has_value(), rest.status().message());
  // The old segment 0 to its end, then the compacted segments after it.
  std::vector<ReadEvent> expected(all.begin() + 1, all.begin() + static_cast<long>(segs[1]));
  for (const ReadEvent& e : Survivors(all, segs.back(), all.front().timestamp - kDay)) {
    if (e.offset >= segs[1]) expected.push_back(e);
  }
  CHECK(Summary(*rest) == Summary(expected));
}

TEST_CASE("DryRunOfKeyCompactionReportsAndChangesNothing") {
  TestLog t({.segment_bytes = 4096});
  std::vector<ReadEvent> all = Workload(t, 4);
  std::map<std::string, std::string> before;
  for (uint64_t base : Segments(t)) before[t.SegmentPath(base)] = t.Contents(t.SegmentPath(base));
  CompactionReport dry = Compact(t, {.dry_run = true, .keep_latest_per_key = true});
  for (const auto& [path, bytes] : before) CHECK(t.Contents(path) == bytes);
  CompactionReport real = Compact(t, {.keep_latest_per_key = true});
  CHECK(dry.keys->events_removed == real.keys->events_removed);
  CHECK(dry.keys->bytes_reclaimed == real.keys->bytes_reclaimed);
}

TEST_CASE("KeyCompactionCombinesWithRetention") {
  TestLog t({.segment_bytes = 4096});
  std::vector<ReadEvent> all = Workload(t, 5);
  std::vector<uint64_t> segs = Segments(t);
  CompactionReport r = Compact(t, {.before_offset = segs[1], .keep_latest_per_key = true});
  CHECK(r.removed.size() == 1);
  CHECK(Segments(t).front() == segs[1]);
  for (const RewrittenSegment& s : r.keys->segments) CHECK(s.base_offset >= segs[1]);
  CheckVerifiesClean(t);
}

TEST_CASE("CrashAtEveryFileOperationOfAKeyCompactionKeepsEveryNewestValue") {
  int crash_points = 0;
  for (int crash_after = 0;; ++crash_after) {
    CAPTURE(crash_after);
    TestLog t({.segment_bytes = 4096});
    std::vector<ReadEvent> all = Workload(t, 5);
    const uint64_t active = Segments(t).back();
    const std::vector<ReadEvent> final = Survivors(all, active, all.front().timestamp - kDay);
    t.fs().CrashAfter(crash_after);
    auto r = CompactLog(t.log(), {.keep_latest_per_key = true});
    if (r.has_value()) break;
    ++crash_points;
    t.fs().SimulatePowerLoss();
    Status reopened = t.Reopen();
    REQUIRE_MESSAGE(reopened.ok(), reopened.message());
    Status recovered = t.log().Recover();
    REQUIRE_MESSAGE(recovered.ok(), recovered.message());
    auto verified = VerifyLog(t.log());
    REQUIRE(verified.has_value());
    for (const VerifyProblem& p : verified->problems) CHECK_MESSAGE(p.kind != VerifyProblem::Kind::kCorruption, p.message);
    // Whatever survived is unchanged at its offset, and includes every final survivor.
    std::map<uint64_t, std::string> read;
    for (const auto& [offset, text] : Summary(ReadAll(t))) read[offset] = text;
    std::map<uint64_t, std::string> original;
    for (const auto& [offset, text] : Summary(all)) original[offset] = text;
    for (const auto& [offset, text] : read) CHECK(original[offset] == text);
    for (const auto& [offset, text] : Summary(final)) CHECK(read.count(offset) == 1);
    Compact(t, {.keep_latest_per_key = true});
    CHECK(Summary(ReadAll(t)) == Summary(final));
    CheckVerifiesClean(t);
  }
  MESSAGE("crash points exercised: " << crash_points);
  CHECK(crash_points >= 4 * 3);  // per rewritten segment at least: write, sync, rename, directory sync
}

// The review's case: a closed segment nearly filled by two batches of small keyed events
// appended a second apart. Re-encoded as one frame, every record of the second batch took
// 4 more bytes for its timestamp delta, and the rewrite outgrew the segment.
TEST_CASE("ANearlyFullSegmentOfBatchesSecondsApartIsCompactedAndShrinks") {
  TestLog t({.segment_bytes = 4096});
  const int64_t t0 = 1'700'000'000'000'000'000;
  for (const char* prefix : {"a", "b"}) {
    std::vector<Ev> batch;
    for (int i = 0; i < 185; ++i) batch.push_back({prefix + std::to_string(i), "x"});
    PutAt(t, batch, prefix[0] == 'a' ? t0 : t0 + 1'100'000'000);
  }
  REQUIRE(Segments(t).size() == 1);
  std::vector<Ev> later;
  for (int i = 0; i < 300; ++i) later.push_back({"c" + std::to_string(i % 10), "x"});
  PutAt(t, later, t0 + 2'000'000'000);
  PutAt(t, {{"a0", "new"}}, t0 + 3'000'000'000);
  PutAt(t, {{std::nullopt, std::string(3000, 'f')}}, t0 + 4'000'000'000);  // rolls: segment 0 is closed
  std::vector<ReadEvent> all = ReadAll(t);
  const std::vector<uint64_t> segs = Segments(t);
  const std::string path = t.SegmentPath(segs[0]);
  const uint64_t before = t.Contents(path).size();

  CompactionReport r = Compact(t, {.keep_latest_per_key = true});
  CHECK(r.keys->kept.empty());
  REQUIRE(!r.keys->segments.empty());
  CHECK(r.keys->segments[0].base_offset == 0);
  CHECK(t.Contents(path).size() < before);
  CHECK(Summary(ReadAll(t)) == Summary(Survivors(all, segs.back(), t0 - kDay)));
  CheckVerifiesClean(t);
}

// Survivors that must join an earlier frame (the events at their source frame's start were
// removed, and a frame may not start after a gap) take larger deltas: here 9 bytes each for
// timestamps 2^62 ns later, more than the removed events and the frame header saved. The
// segment stays as it was, and the next one is still compacted.
TEST_CASE("ASegmentWhoseSurvivorsWouldNotFitStaysAsItWasAndTheOthersAreCompacted") {
  TestLog t({.segment_bytes = 4096});
  const int64_t later = int64_t{1} << 62;
  // Frame 1: one large unkeyed event, then a tombstone of the empty key; frame 2, 2^62 ns
  // later: 60 tombstones of the empty key, each followed by an unkeyed event. Sized so that
  // the segment is full to the byte.
  PutAt(t, {{std::nullopt, std::string(3229, 'u')}, {"", ""}}, 0);
  std::vector<Ev> alternating;
  for (int i = 0; i < 60; ++i) {
    alternating.push_back({"", ""});
    alternating.push_back({std::nullopt, "u"});
  }
  PutAt(t, alternating, later);
  REQUIRE(Segments(t).size() == 1);
  REQUIRE(t.Contents(t.SegmentPath(0)).size() == 4096);
  PutAt(t, {{"k", "1"}, {"k", "2"}}, later);                      // rolls: segment 0 is closed
  PutAt(t, {{std::nullopt, std::string(3000, 'v')}}, later);
  PutAt(t, {{std::nullopt, std::string(3000, 'w')}}, later);      // rolls: segment 1 is closed
  PutAt(t, {{"", "newest"}, {"k", "3"}}, later);
  const std::vector<uint64_t> segs = Segments(t);
  REQUIRE(segs.size() == 3);
  std::vector<ReadEvent> all = ReadAll(t);
  const std::string first_segment = t.Contents(t.SegmentPath(0));

  for (bool dry_run : {true, false}) {
    CAPTURE(dry_run);
    CompactionReport r = Compact(t, {.dry_run = dry_run, .keep_latest_per_key = true});
    REQUIRE(r.keys->kept.size() == 1);
    CHECK(r.keys->kept[0].base_offset == 0);
    CHECK(r.keys->kept[0].reason.find("more than the segment size of 4096 bytes") != std::string::npos);
    REQUIRE(r.keys->segments.size() == 1);
    CHECK(r.keys->segments[0].base_offset == segs[1]);
    CHECK(r.keys->events_removed == 2);  // k=1 and k=2; none of the kept segment's
  }
  CHECK(t.Contents(t.SegmentPath(0)) == first_segment);
  std::vector<ReadEvent> expected;
  for (const ReadEvent& e : all) {
    if (e.offset < segs[1] || e.key != "k" || e.payload == "3") expected.push_back(e);
  }
  CHECK(Summary(ReadAll(t)) == Summary(expected));
  CheckVerifiesClean(t);
}

// Found by review: a segment kept as it was (its survivors would not fit rewritten) still
// holds a superseded value of k; the tombstone of k, in a later segment, expired and acked,
// was removed, and k came back with that value. The tombstone now stays.
TEST_CASE("AKeySupersededInAKeptSegmentKeepsItsExpiredTombstone") {
  TestLog t({.segment_bytes = 4096});
  const int64_t later = int64_t{1} << 62;  // deltas from 0 this large cannot shrink back in
  PutAt(t, {{std::nullopt, std::string(3221, 'u')}, {"", ""}, {"k", "v1"}}, 0);
  std::vector<Ev> alternating;  // removed and kept events alternate: the survivors join frames
  for (int i = 0; i < 60; ++i) {
    alternating.push_back({"", ""});
    alternating.push_back({std::nullopt, "u"});
  }
  PutAt(t, alternating, later);
  REQUIRE(Segments(t).size() == 1);
  PutAt(t, {{"k", ""}}, later);  // the tombstone of k; rolls
  PutAt(t, {{std::nullopt, std::string(3000, 'v')}}, later);
  PutAt(t, {{std::nullopt, std::string(3000, 'w')}}, later);  // rolls
  PutAt(t, {{"", "newest"}}, later);
  REQUIRE(Segments(t).size() == 3);
  CompactionReport r =
      Compact(t, {.now_ns = later + 2 * kDay, .keep_latest_per_key = true, .tombstone_retention_ns = 0});
  REQUIRE(r.keys->kept.size() == 1);  // the case this is about: segment 0 stays as it was
  bool tombstone_of_k = false;
  for (const ReadEvent& e : ReadAll(t)) {
    if (e.key == "k" && e.payload.empty() && e.offset > 2) tombstone_of_k = true;
  }
  CHECK(tombstone_of_k);
  // Reading the log gives k's newest event: the tombstone, not "v1".
  std::optional<std::string> newest_k;
  for (const ReadEvent& e : ReadAll(t)) {
    if (e.key == "k") newest_k = e.payload;
  }
  CHECK(newest_k == std::string());
  CheckVerifiesClean(t);
}

}  // namespace eventlog::test
