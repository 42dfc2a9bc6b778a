// Log::ReadSplits: cutting a range for several readers. Whatever the cuts, readers that each
// read one span, taken in order and stopped at the first error, must give what one reader
// gives over the whole range: the same events, and the same error after the same events,
// including damage only a reader that has read the frame before can see (a broken chain).
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "eventlog/log.h"
#include "eventlog/reader.h"
#include "chain_break.h"
#include "format.h"
#include "head.h"
#include "test_helpers.h"

namespace eventlog::test {
namespace {

struct RangeRead {
  std::vector<uint64_t> offsets;
  std::vector<std::string> payloads;
  Status status;
};

// Reads [from, to) as `tail` does with cuts: a reader per span, the spans in order, the
// first error ending the read.
RangeRead ReadBySpans(Log& log, uint64_t from, uint64_t to, const std::vector<uint64_t>& cuts) {
  RangeRead read;
  std::vector<uint64_t> bounds = {from};
  bounds.insert(bounds.end(), cuts.begin(), cuts.end());
  bounds.push_back(to);
  for (size_t span = 0; span + 1 < bounds.size() && read.status.ok(); ++span) {
    auto reader = log.NewReader();
    REQUIRE(reader.has_value());
    read.status = (*reader)->SeekToOffset(bounds[span]);
    Event event;
    while (read.status.ok()) {
      auto more = (*reader)->Next(&event);
      if (!more) {
        read.status = more.error();
        break;
      }
      if (!*more || event.offset >= bounds[span + 1]) break;
      read.offsets.push_back(event.offset);
      read.payloads.emplace_back(event.payload);
    }
  }
  return read;
}

void CheckCuts(const std::vector<uint64_t>& cuts, uint64_t from, uint64_t to) {
  for (size_t i = 0; i < cuts.size(); ++i) {
    CHECK(cuts[i] > from);
    CHECK(cuts[i] < to);
    if (i > 0) CHECK(cuts[i] > cuts[i - 1]);
  }
}

void CheckSameRead(const RangeRead& by_spans, const RangeRead& whole) {
  CHECK(by_spans.offsets == whole.offsets);
  CHECK(by_spans.payloads == whole.payloads);
  CHECK(by_spans.status.code() == whole.status.code());
  CHECK(by_spans.status.message() == whole.status.message());
}

// A log of several 64 KiB segments, appended in batches of varied sizes: frames of a few
// hundred bytes to several KiB, so that many carry index entries.
void Fill(TestLog& t, int batches) {
  for (int i = 0; i < batches; ++i) {
    std::vector<std::string> batch;
    for (int j = 0; j <= i % 17; ++j) batch.push_back(std::to_string(i) + "." + std::to_string(j) + std::string(40 + (i * 7 + j) % 200, 'a' + j % 26));
    REQUIRE(t.Append(batch).has_value());
  }
}

// testing::BreakChainAt on the frame of segment 0 that starts at `offset`, segment 0 being
// the log's only (so active) one: HEAD's last checksum is redone to match.
void BreakChainInOnlySegment(TestLog& t, uint64_t offset) {
  const std::string path = t.SegmentPath(0);
  std::string data = t.Contents(path);
  uint64_t last_checksum = 0;
  REQUIRE(testing::BreakChainAt(&data, offset, &last_checksum));
  t.SetContents(path, data);
  HeadRecord head;
  REQUIRE(DecodeHead(t.Contents(HeadPath()), t.id(), &head));
  head.last_checksum = last_checksum;
  t.SetContents(HeadPath(), EncodeHead(head, t.id()));
}

// Adds `delta` to the offset of every entry of segment 0's index from entry `first` on
// (each offset stays above the one before); returns the index's path.
std::string AddToIndexOffsets(TestLog& t, size_t first, uint32_t delta) {
  const std::string path = std::string(TestLog::kDir) + "/00000000000000000000.idx";
  std::string index = t.Contents(path);
  REQUIRE(index.size() > format::index::kHeaderSize + (first + 3) * format::index::kEntrySize);
  for (size_t at = format::index::kHeaderSize + first * format::index::kEntrySize;
       at + format::index::kEntrySize <= index.size(); at += format::index::kEntrySize) {
    uint32_t rel;  // little-endian, as the format and this machine are
    std::memcpy(&rel, index.data() + at + format::index::kEntryRelOffsetAt, 4);
    rel += delta;
    std::memcpy(index.data() + at + format::index::kEntryRelOffsetAt, &rel, 4);
  }
  t.SetContents(path, index);
  return path;
}

uint64_t NextOffset(TestLog& t) {
  auto info = t.log().Info();
  REQUIRE(info.has_value());
  return info->next_offset;
}

}  // namespace

TEST_CASE("ReadSplitsCutsARangeThatReadersTogetherReadAsOneReaderDoes") {
  TestLog t({.segment_bytes = 64 << 10});
  Fill(t, 3000);
  const uint64_t end = NextOffset(t);
  REQUIRE(t.log().Info()->segment_count > 5);
  struct Case {
    uint64_t from, to, span;
  };
  for (const Case& c : std::vector<Case>{
           {0, end, 16 << 10}, {0, end, 200 << 10}, {123, end - 77, 8 << 10}, {5000, 5001, 1}, {0, end, 1}}) {
    // Named copies, not structured bindings: clang 14 cannot capture those in CAPTURE's lambda.
    const uint64_t from = c.from, to = c.to, span = c.span;
    CAPTURE(from);
    CAPTURE(to);
    CAPTURE(span);
    auto cuts = t.log().ReadSplits(from, to, span);
    REQUIRE(cuts.has_value());
    CheckCuts(*cuts, from, to);
    if (to - from > 1000 && span < (64 << 10)) CHECK(cuts->size() > 10);
    const RangeRead whole = ReadBySpans(t.log(), from, to, {});
    REQUIRE(whole.status.ok());
    CHECK(whole.offsets.size() == to - from);
    CheckSameRead(ReadBySpans(t.log(), from, to, *cuts), whole);
  }
  // A range shorter than a span is not cut; an empty one neither.
  CHECK(t.log().ReadSplits(0, end, 1ull << 40)->empty());
  CHECK(t.log().ReadSplits(end, end, 1)->empty());
}

TEST_CASE("ReadSplitsFromADamagedIndexStillGiveTheRange") {
  TestLog t({.segment_bytes = 64 << 10});
  Fill(t, 1500);
  const uint64_t end = NextOffset(t);
  const RangeRead whole = ReadBySpans(t.log(), 0, end, {});
  REQUIRE(whole.status.ok());
  // Entries that name offsets no frame starts at, in order (so they are used): readers
  // then start before their cut, reading a little twice, and skip to it.
  const std::string index_path = AddToIndexOffsets(t, 0, 1);
  auto cuts = t.log().ReadSplits(0, end, 4 << 10);
  REQUIRE(cuts.has_value());
  CheckCuts(*cuts, 0, end);
  CheckSameRead(ReadBySpans(t.log(), 0, end, *cuts), whole);
  // An index whose header does not verify gives no cuts in its segment, and no error.
  t.FlipBit(index_path, 3);
  cuts = t.log().ReadSplits(0, end, 4 << 10);
  REQUIRE(cuts.has_value());
  CheckCuts(*cuts, 0, end);
  CheckSameRead(ReadBySpans(t.log(), 0, end, *cuts), whole);
}

// Damage at a cut that only the frame before can reveal: the frame's own checksum is right,
// but it does not chain to its predecessor (format-spec §5.6). The reader that starts at the
// cut takes it without a predecessor; the one before must still find it.
TEST_CASE("ABrokenChainAtACutIsFoundByTheReaderOfTheSpanBefore") {
  TestLog t({.segment_bytes = 8 << 20});
  Fill(t, 2000);
  const uint64_t end = NextOffset(t);
  auto info = t.log().Info();
  REQUIRE(info.has_value());
  REQUIRE(info->segment_count == 1);  // the active segment: HEAD's last checksum is redone below
  auto cuts = t.log().ReadSplits(0, end, 16 << 10);
  REQUIRE(cuts.has_value());
  REQUIRE(cuts->size() > 4);
  const uint64_t cut = (*cuts)[cuts->size() / 2];

  BreakChainInOnlySegment(t, cut);

  const RangeRead whole = ReadBySpans(t.log(), 0, end, {});
  REQUIRE(whole.status.code() == StatusCode::kCorruption);
  CHECK(whole.offsets.size() == cut);  // every event before the broken frame
  CheckSameRead(ReadBySpans(t.log(), 0, end, *cuts), whole);
}

}  // namespace eventlog::test

namespace eventlog::test {

// The seam after a parallel read (tail -f goes on with a reader that seeks to where the
// spans ended) and every other seek: a reader that seeks to the first offset of a frame
// must still find that the frame does not chain to the one before.
TEST_CASE("AReaderThatSeeksToAFrameChecksItAgainstTheFrameBefore") {
  TestLog t({.segment_bytes = 8 << 20});
  Fill(t, 300);
  const uint64_t end = NextOffset(t);
  auto cuts = t.log().ReadSplits(0, end, 4 << 10);
  REQUIRE(cuts.has_value());
  REQUIRE(cuts->size() > 2);
  const uint64_t cut = (*cuts)[1];
  BreakChainInOnlySegment(t, cut);

  {
    const uint64_t offset = cut;  // the frame's first event: what parallel readers seek to
    auto reader = t.log().NewReader();
    REQUIRE(reader.has_value());
    REQUIRE((*reader)->SeekToOffset(offset).ok());
    Event event;
    auto more = (*reader)->Next(&event);
    REQUIRE_FALSE(more.has_value());
    CHECK(more.error().code() == StatusCode::kCorruption);
    CHECK(more.error().message().find("chain mismatch") != std::string::npos);
  }
  // Before the damage, reading is unaffected.
  auto reader = t.log().NewReader();
  REQUIRE(reader.has_value());
  REQUIRE((*reader)->SeekToOffset(cut - 1).ok());
  Event event;
  auto more = (*reader)->Next(&event);
  REQUIRE(more.has_value());
  CHECK(event.offset == cut - 1);
}

// A damaged index whose entries name offsets of other segments: the cuts stay strictly
// ascending and inside the range, so no span is read twice.
TEST_CASE("ReadSplitsFromAnIndexNamingAnotherSegmentsOffsetsStayAscending") {
  constexpr size_t kEntriesKept = 4;
  TestLog t({.segment_bytes = 64 << 10});
  Fill(t, 1500);
  const uint64_t end = NextOffset(t);
  const RangeRead whole = ReadBySpans(t.log(), 0, end, {});
  REQUIRE(whole.status.ok());
  // From the fifth entry on, offsets of later segments (still increasing), about ten
  // segments on but inside the range.
  AddToIndexOffsets(t, kEntriesKept, 3000);
  REQUIRE(end > 3000 + 1000);
  for (uint64_t span : {uint64_t{1}, uint64_t{4} << 10, uint64_t{20} << 10}) {
    CAPTURE(span);
    auto cuts = t.log().ReadSplits(0, end, span);
    REQUIRE(cuts.has_value());
    CheckCuts(*cuts, 0, end);
    CheckSameRead(ReadBySpans(t.log(), 0, end, *cuts), whole);
  }
}

}  // namespace eventlog::test
