// Readers while compaction removes segments: one that has a removed segment open keeps
// reading it, one positioned before the new first offset continues at the oldest remaining
// event, and one whose next segment vanishes between listing and opening moves on.
#include <doctest/doctest.h>

#include <functional>
#include <numeric>

#include "compaction_test_helpers.h"

namespace eventlog::test {
namespace {

// Delegates to a FaultFileSystem; runs a one-shot hook after the next directory listing,
// so that a test can remove a file that the caller has just seen listed.
class ListingHookFileSystem final : public ForwardingFileSystem {
 public:
  using ForwardingFileSystem::ForwardingFileSystem;
  void AfterNextListing(std::function<void()> hook) { hook_ = std::move(hook); }

  Result<std::vector<std::string>> ListDir(const std::string& path) override {
    auto names = fs_.ListDir(path);
    if (hook_) std::exchange(hook_, nullptr)();
    return names;
  }

 private:
  std::function<void()> hook_;
};

std::vector<uint64_t> Range(uint64_t from, uint64_t to) {
  std::vector<uint64_t> out(to - from);
  std::iota(out.begin(), out.end(), from);
  return out;
}

std::vector<uint64_t> ReadOffsets(Reader& reader, size_t limit = SIZE_MAX) {
  std::vector<uint64_t> offsets;
  Event e;
  while (offsets.size() < limit) {
    auto more = reader.Next(&e);
    REQUIRE_MESSAGE(more.has_value(), more.status().message());
    if (!*more) break;
    offsets.push_back(e.offset);
  }
  return offsets;
}

std::vector<uint64_t> Concat(std::vector<uint64_t> a, const std::vector<uint64_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

TEST_CASE("AReaderKeepsReadingASegmentThatCompactionRemoved") {
  TestLog t({.segment_bytes = 4096});
  std::vector<uint64_t> segs = FillSegments(t, 5);
  const uint64_t end = t.log().Info()->next_offset;
  auto reader = t.log().NewReader();
  REQUIRE(reader.has_value());
  CHECK(ReadOffsets(**reader, 1) == std::vector<uint64_t>{0});
  Compact(t, {.before_offset = segs[3]});
  // The rest of the open segment, then a gap to the oldest remaining segment.
  CHECK(ReadOffsets(**reader) == Concat(Range(1, segs[1]), Range(segs[3], end)));
}

TEST_CASE("AReaderAtTheEndOfARemovedSegmentContinuesAtTheOldestRemainingOne") {
  TestLog t({.segment_bytes = 4096});
  std::vector<uint64_t> segs = FillSegments(t, 5);
  auto reader = t.log().NewReader();
  REQUIRE(reader.has_value());
  REQUIRE(ReadOffsets(**reader, segs[1]).size() == segs[1]);
  Compact(t, {.before_offset = segs[3]});
  CHECK(ReadOffsets(**reader, 1) == std::vector<uint64_t>{segs[3]});
}

TEST_CASE("SeekingBeforeTheFirstOffsetLandsOnTheOldestRemainingEvent") {
  TestLog t({.segment_bytes = 4096});
  std::vector<uint64_t> segs = FillSegments(t, 4);
  Compact(t, {.before_offset = segs[2]});
  auto reader = t.log().NewReader();
  REQUIRE(reader.has_value());
  REQUIRE((*reader)->SeekToOffset(0).ok());
  CHECK(ReadOffsets(**reader, 1) == std::vector<uint64_t>{segs[2]});
  REQUIRE((*reader)->SeekToTime(INT64_MIN).ok());
  CHECK(ReadOffsets(**reader, 1) == std::vector<uint64_t>{segs[2]});
}

TEST_CASE("ASegmentRemovedBetweenListingAndOpeningIsSkipped") {
  TestLog t({.segment_bytes = 4096});
  std::vector<uint64_t> segs = FillSegments(t, 5);
  ListingHookFileSystem hooked(t.fs());
  auto log = Log::Open(TestLog::kDir, {.fs = &hooked});
  REQUIRE(log.has_value());
  auto reader = (*log)->NewReader();
  REQUIRE(reader.has_value());
  auto remove = [&](uint64_t base) {
    return [&t, base] { REQUIRE(t.fs().Remove(t.SegmentPath(base)).ok()); };
  };

  SUBCASE("while advancing to the next segment") {
    REQUIRE(ReadOffsets(**reader, segs[1]).size() == segs[1]);
    hooked.AfterNextListing(remove(segs[1]));
    REQUIRE(t.fs().Remove(t.SegmentPath(segs[0])).ok());
    CHECK(ReadOffsets(**reader, 1) == std::vector<uint64_t>{segs[2]});
  }
  SUBCASE("while seeking") {
    hooked.AfterNextListing(remove(segs[0]));
    REQUIRE((*reader)->SeekToOffset(0).ok());
    CHECK(ReadOffsets(**reader, 1) == std::vector<uint64_t>{segs[1]});
  }
  SUBCASE("while seeking by time") {
    hooked.AfterNextListing(remove(segs[0]));
    REQUIRE((*reader)->SeekToTime(INT64_MIN).ok());
    CHECK(ReadOffsets(**reader, 1) == std::vector<uint64_t>{segs[1]});
  }
}

}  // namespace eventlog::test
