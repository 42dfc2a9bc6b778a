// The reader reads segments through a SegmentWindow (pread into a buffer that grows from
// 256 KiB to 1 MiB, a mapping for spans above 16 MiB): units larger than the buffer, frames
// larger than it, seeks into the middle of either, and a segment cut short under a reader.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "eventlog/log.h"
#include "eventlog/reader.h"
#include "segment.h"
#include "segment_window.h"
#include "test_helpers.h"

namespace eventlog::test {

TEST_CASE("UnitsAndFramesLargerThanTheReadBufferReadBackWhole") {
  const uint64_t huge = SegmentWindow::kMaxBufferedSpan + (1 << 20);  // served from a mapping
  TestLog t({.segment_bytes = 64ull << 20, .max_event_bytes = 32ull << 20});
  // One batch of 3 MiB of small events: a unit of a dozen frames, three times the buffer.
  std::vector<std::string> many;
  for (int i = 0; i < 30000; ++i) many.push_back(std::to_string(i) + std::string(90, 'a' + i % 26));
  REQUIRE(t.Append(many).has_value());
  // A frame of one 2 MiB event (larger than one read) and one above kMaxBufferedSpan.
  REQUIRE(t.Append({std::string(2 << 20, 'm')}).has_value());
  REQUIRE(t.Append({std::string(huge, 'h'), "after"}).has_value());

  std::vector<std::string> expected = many;
  expected.push_back(std::string(2 << 20, 'm'));
  expected.push_back(std::string(huge, 'h'));
  expected.push_back("after");
  CHECK(t.Payloads() == expected);

  auto reader = t.log().NewReader();
  REQUIRE(reader.has_value());
  for (uint64_t offset : {uint64_t{29999}, uint64_t{15000}, uint64_t{30001}, uint64_t{30000}, uint64_t{0}}) {
    CAPTURE(offset);
    REQUIRE((*reader)->SeekToOffset(offset).ok());
    Event e;
    auto more = (*reader)->Next(&e);
    REQUIRE(more.has_value());
    REQUIRE(*more);
    CHECK(e.offset == offset);
    CHECK(e.payload == expected[offset]);
  }
}

// A segment another program cuts short below what the reader may read: through a mapping
// that was a SIGBUS; through the window it is an error naming the segment, whether the cut
// falls in a frame read into the buffer or in one too large for it (mapped).
void ExpectCutShortIsCorruption(uint64_t big_event_bytes) {
  std::string root = (std::filesystem::temp_directory_path() / "evlog-reader-window-test.XXXXXX").string();
  REQUIRE(mkdtemp(root.data()) != nullptr);
  {
    auto log = Log::Open(root + "/log", {.create_if_missing = true,
                                         .limits = {.segment_bytes = 64ull << 20, .max_event_bytes = 32ull << 20}});
    REQUIRE_MESSAGE(log.has_value(), log.status().message());
    Batch first = (*log)->NewBatch();
    REQUIRE(first.Add({.payload = "first"}).ok());
    REQUIRE((*log)->Append(first).has_value());
    for (int round = 0; round < 40; ++round) {  // about 8 MiB of small events
      Batch batch = (*log)->NewBatch();
      for (int i = 0; i < 1000; ++i) REQUIRE(batch.Add({.payload = std::string(200, 'x')}).ok());
      if (round == 0 && big_event_bytes > 0) REQUIRE(batch.Add({.payload = std::string(big_event_bytes, 'b')}).ok());
      REQUIRE((*log)->Append(batch).has_value());
    }
    auto reader = (*log)->NewReader();
    REQUIRE(reader.has_value());
    Event e;
    REQUIRE(*(*reader)->Next(&e));  // the segment is open in the reader, its first bytes read
    const std::string segment = root + "/log/" + SegmentFileName(0);
    std::filesystem::resize_file(segment, 1 << 20);
    Result<bool> more = true;
    uint64_t read = 1;
    while (more.has_value() && *more) {
      more = (*reader)->Next(&e);
      if (more.has_value() && *more) ++read;
    }
    REQUIRE_FALSE(more.has_value());
    CHECK(more.status().code() == StatusCode::kCorruption);
    CHECK(more.status().message().find(SegmentFileName(0)) != std::string::npos);
    CHECK(more.status().message().find("cut short") != std::string::npos);
    CHECK(read < 6000);  // what fits in the first MiB, not the events cut away
  }
  std::filesystem::remove_all(root);
}

TEST_CASE("ASegmentCutShortUnderAReaderIsCorruptionNotACrash") { ExpectCutShortIsCorruption(0); }

TEST_CASE("ASegmentCutShortInsideAMappedFrameIsCorruptionNotACrash") {
  ExpectCutShortIsCorruption(SegmentWindow::kMaxBufferedSpan + (1 << 20));
}

}  // namespace eventlog::test
