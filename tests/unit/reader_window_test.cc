// The reader reads segments through a SegmentWindow (pread into a buffer that grows from
// 256 KiB to 1 MiB, a mapping for spans above 16 MiB): units larger than the buffer, frames
// larger than it, seeks into the middle of either, and a segment cut short under a reader.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
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

// A file held in memory that records every read: where in the file, into which address,
// how many bytes.
class RecordingFile : public File {
 public:
  struct ReadCall {
    uint64_t offset;
    uintptr_t into;
    size_t bytes;
  };
  explicit RecordingFile(std::string data) : data_(std::move(data)) {}
  Status Write(uint64_t, std::string_view) override { return Status::IOError("read-only"); }
  Result<size_t> Read(uint64_t offset, std::span<char> out) const override {
    const size_t n = offset >= data_.size() ? 0 : std::min<size_t>(out.size(), data_.size() - offset);
    if (n > 0) std::memcpy(out.data(), data_.data() + offset, n);
    reads.push_back({offset, reinterpret_cast<uintptr_t>(out.data()), out.size()});
    return n;
  }
  Status Sync() override { return Status::Ok(); }
  Status Truncate(uint64_t) override { return Status::IOError("read-only"); }
  Result<uint64_t> Size() const override { return uint64_t{data_.size()}; }
  Result<std::unique_ptr<MappedRegion>> Map(uint64_t) const override { return Status::IOError("no mapping here"); }
  mutable std::vector<ReadCall> reads;

 private:
  std::string data_;
};

// Walks `file` as the reader walks a segment: a header's worth at each unit, then the unit,
// each unit `unit_bytes` long. Checks every byte it gets.
void WalkUnits(SegmentWindow* window, const std::string& data, uint64_t unit_bytes) {
  for (uint64_t at = 64; at < data.size(); at += unit_bytes) {
    const uint64_t length = std::min<uint64_t>(unit_bytes, data.size() - at);
    auto head = window->Bytes(at, std::min<uint64_t>(length, 64), data.size());
    REQUIRE(head.has_value());
    auto unit = window->Bytes(at, length, data.size());
    REQUIRE(unit.has_value());
    REQUIRE(*unit == std::string_view(data).substr(at, length));
  }
}

// The class of defect: a sequential read that copies bytes from the page cache more than
// once. Units just over a quarter of the largest read each ended a read cut short, and every
// unit was read twice; reads must also keep the page congruence (see segment_window.h).
TEST_CASE("ASequentialWalkReadsEachByteOnceIntoPageCongruentAddresses") {
  std::string data(24u << 20, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>((i * 2654435761u) >> 13);
  for (uint64_t unit : {uint64_t{152}, uint64_t{4096}, uint64_t{(256 << 10) + 32}, uint64_t{(1 << 20) + 8},
                        uint64_t{(3 << 20) + 160}}) {
    CAPTURE(unit);
    RecordingFile file(data);
    SegmentWindow window;
    window.Reset(&file, "test.seg");
    WalkUnits(&window, data, unit);
    uint64_t copied = 0;
    for (const RecordingFile::ReadCall& r : file.reads) {
      CAPTURE(r.offset);
      CHECK((r.into - r.offset) % SegmentWindow::kPageBytes == 0);
      copied += r.bytes;
    }
    CHECK(copied <= data.size());  // the first read starts at 0, below the first unit
    CHECK(file.reads.back().offset + file.reads.back().bytes == data.size());
  }
}

// A seek back, or forward past what was read, starts a new read at the page holding the
// position; the bytes come out right either way.
TEST_CASE("AWindowServesSeeksBackAndForward") {
  std::string data(8u << 20, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7 + (i >> 9));
  RecordingFile file(data);
  SegmentWindow window;
  window.Reset(&file, "test.seg");
  for (uint64_t at : {uint64_t{6 << 20}, uint64_t{100}, uint64_t{(1 << 20) + 4090}, uint64_t{4095}, uint64_t{7 << 20},
                      uint64_t{(7 << 20) + 3}, uint64_t{64}}) {
    CAPTURE(at);
    for (uint64_t length : {uint64_t{8}, uint64_t{5000}, uint64_t{(1 << 20) + 100}}) {
      length = std::min<uint64_t>(length, data.size() - at);
      auto bytes = window.Bytes(at, length, data.size());
      REQUIRE(bytes.has_value());
      CHECK(*bytes == std::string_view(data).substr(at, length));
    }
  }
  for (const RecordingFile::ReadCall& r : file.reads) CHECK((r.into - r.offset) % SegmentWindow::kPageBytes == 0);
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
