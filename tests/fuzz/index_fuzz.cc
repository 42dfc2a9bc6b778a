// The sparse index reader (format-spec §7): a cache that readers validate before trusting.
//
// A fixed log of 300 events in several segments is built once on the in-memory file system;
// each input replaces one segment's NNN.idx.
// Input: one flag byte, two bytes choosing the events to seek to, then the index file.
//   bits 0-1: the segment; bit 2: give the index header the log's id and the segment's base
//   offset and seal its checksum, so that the entries behind it are read; bit 3: the bytes
//   are XORed onto the segment's real index instead of replacing it, so that zeros keep a
//   real entry and a mutation damages one field of it.
// Properties beyond not crashing:
//   - ReadIndex hands out entries in order (offsets and positions increasing, timestamps not
//     decreasing: readers binary-search them), no more than the file holds;
//   - whatever the index holds, SeekToOffset and SeekToTime land on exactly the event that
//     the log's contents say (a damaged cache never changes an answer).
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "coding.h"
#include "eventlog/log.h"
#include "fault_file_system.h"
#include "format.h"
#include "format_blocks.h"
#include "fuzz_check.h"
#include "seal.h"
#include "segment.h"
#include "segment_index.h"

namespace eventlog {
namespace {

constexpr const char* kDir = "/log";
constexpr uint64_t kEvents = 300;

struct StoredEvent {
  uint64_t offset;
  int64_t timestamp;
};

struct Fixture {
  testing::FaultFileSystem fs;
  std::unique_ptr<Log> log;
  LogId id{};
  std::vector<uint64_t> segments;
  std::vector<std::string> indexes;  // as the writer left them
  std::vector<StoredEvent> events;
};

// Timestamps repeat in runs of three, so that a time seek must find the first of equals.
Fixture* Build() {
  auto* f = new Fixture;
  FUZZ_CHECK(f->fs.CreateDir(kDir).ok());
  auto log = Log::Open(kDir, {.create_if_missing = true, .limits = {.segment_bytes = 16384}, .fs = &f->fs});
  FUZZ_CHECK(log.has_value());
  f->log = std::move(log).value();
  for (uint64_t i = 0; i < kEvents; ++i) {
    const std::string payload(50 + i * 37 % 200, static_cast<char>('a' + i % 26));
    const int64_t timestamp = static_cast<int64_t>(i / 3) * 1000 - 50000;
    Batch batch = f->log->NewBatch();
    FUZZ_CHECK(batch.AddAt({.payload = payload}, i, timestamp).ok());
    FUZZ_CHECK(f->log->Append(batch).has_value());
    f->events.push_back({i, timestamp});
  }
  auto segments = ListSegments(&f->fs, kDir);
  FUZZ_CHECK(segments.has_value() && segments->size() >= 4);
  f->segments = *segments;
  for (uint64_t base : f->segments) {
    auto index = f->fs.Contents(std::string(kDir) + "/" + IndexFileName(base));
    f->indexes.push_back(index.value_or(std::string()));
  }
  auto meta = DecodeMeta(*f->fs.Contents(std::string(kDir) + "/META"), "META");
  FUZZ_CHECK(meta.has_value());
  f->id = meta->log_id;
  return f;
}

Fixture& Shared() {
  static Fixture* fixture = Build();
  return *fixture;
}

// The first event at or after `target` by the oracle, as Reader::Next returns it.
std::optional<uint64_t> ReadOne(Reader& reader) {
  Event e;
  auto more = reader.Next(&e);
  FUZZ_CHECK(more.has_value());
  if (!*more) return std::nullopt;
  return e.offset;
}

void CheckSeeks(Fixture& f, const std::vector<uint64_t>& offsets) {
  auto reader = f.log->NewReader();
  FUZZ_CHECK(reader.has_value());
  for (uint64_t offset : offsets) {
    FUZZ_CHECK((*reader)->SeekToOffset(offset).ok());
    FUZZ_CHECK(ReadOne(**reader) == std::optional<uint64_t>(offset));
    for (int64_t delta : {-1, 0, 1}) {
      const int64_t t = f.events[offset].timestamp + delta;
      auto first = std::find_if(f.events.begin(), f.events.end(), [&](const StoredEvent& e) { return e.timestamp >= t; });
      FUZZ_CHECK((*reader)->SeekToTime(t).ok());
      const std::optional<uint64_t> expected =
          first == f.events.end() ? std::nullopt : std::optional<uint64_t>(first->offset);
      FUZZ_CHECK(ReadOne(**reader) == expected);
    }
  }
}

}  // namespace
}  // namespace eventlog

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  using namespace eventlog;
  namespace x = format::index;
  if (size < 3) return 0;
  Fixture& f = Shared();
  const uint8_t flags = bytes[0];
  const size_t which = (flags & 3) % f.segments.size();
  const uint64_t base = f.segments[which];
  const uint64_t end = which + 1 < f.segments.size() ? f.segments[which + 1] : kEvents;
  std::string index(reinterpret_cast<const char*>(bytes) + 3, size - 3);
  if (flags & 8) {
    const std::string& real = f.indexes[which];
    for (size_t i = 0; i < index.size() && i < real.size(); ++i) index[i] ^= real[i];
  }
  if ((flags & 4) && index.size() >= x::kHeaderSize) {
    std::memcpy(index.data() + x::kLogIdAt, f.id.data(), f.id.size());
    PutFixed64(index.data() + x::kBaseOffsetAt, base);
    fuzz::SealBlock(index, 0);
  }
  f.fs.SetContents(std::string(kDir) + "/" + IndexFileName(base), index);

  const std::vector<IndexEntry> entries = ReadIndex(&f.fs, kDir, base, f.id);
  FUZZ_CHECK(index.size() < x::kHeaderSize || entries.size() <= (index.size() - x::kHeaderSize) / x::kEntrySize);
  for (size_t i = 1; i < entries.size(); ++i) {
    FUZZ_CHECK(entries[i].offset > entries[i - 1].offset && entries[i].position > entries[i - 1].position &&
               entries[i].timestamp >= entries[i - 1].timestamp);
  }
  CheckSeeks(f, {base + bytes[1] % (end - base), end - 1 - bytes[2] % (end - base)});
  return 0;
}
