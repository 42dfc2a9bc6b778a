// The archive writer and reader (format-spec §12): a round trip keeps everything, and a
// truncated, altered or foreign archive is always rejected. Byte positions come from the
// format constants, never from literals.
#include <doctest/doctest.h>

#include <malloc.h>

#include <algorithm>
#include <cstring>

#include "archive_codec.h"
#include "coding.h"
#include "eventlog/archive.h"
#include "format.h"
#include "hash.h"

namespace eventlog::test {
namespace {

namespace a = format::archive;

struct StoredEvent {
  uint64_t offset;
  int64_t timestamp;
  std::optional<std::string> key;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string payload;
  bool operator==(const StoredEvent&) const = default;
};

ArchiveInfo Info(uint64_t from, uint64_t end, uint64_t count) {
  return {.log_id = "00112233445566778899aabbccddeeff",
          .from_offset = from,
          .end_offset = end,
          .event_count = count,
          .created_ns = 1'700'000'000'000'000'000,
          .segment_bytes = 1 << 20,
          .max_event_bytes = 4096};
}

std::vector<StoredEvent> SampleEvents() {
  std::string all_bytes;
  for (int c = 0; c < 256; ++c) all_bytes.push_back(static_cast<char>(c));
  return {{10, -3, std::nullopt, {}, ""},
          {11, -3, std::string(""), {{"h", "1"}, {"h", std::string("\0", 1)}}, all_bytes},
          {15, 1'700'000'000'000'000'000, std::string("k\xff", 2), {}, "text"}};
}

Status Write(const ArchiveInfo& info, const std::vector<StoredEvent>& events, const std::vector<GroupInfo>& groups,
             std::string* out) {
  ArchiveWriter writer([out](std::string_view bytes) {
    out->append(bytes);
    return Status::Ok();
  });
  EVLOG_RETURN_IF_ERROR(writer.Begin(info));
  for (const StoredEvent& s : events) {
    std::vector<HeaderView> headers;
    for (const auto& [n, v] : s.headers) headers.push_back({n, v});
    Event e{s.offset, s.timestamp, s.key ? std::optional<std::string_view>(*s.key) : std::nullopt, headers, s.payload};
    EVLOG_RETURN_IF_ERROR(writer.Add(e));
  }
  return writer.Finish(groups);
}

std::string SampleArchive() {
  std::string out;
  REQUIRE(Write(Info(10, 20, 3), SampleEvents(), {{"g2", 12, 5}, {"g1", 30, 6}}, &out).ok());
  return out;
}

// Reads a whole archive from `bytes`, handing it out `chunk` bytes at a time.
struct ReadResult {
  Status status;
  ArchiveInfo info;
  std::vector<StoredEvent> events;
  std::vector<GroupInfo> groups;
};

ReadResult Read(const std::string& bytes, size_t chunk = 1 << 20) {
  ReadResult r;
  size_t at = 0;
  auto opened = ArchiveReader::Open([&](std::span<char> buffer) -> Result<size_t> {
    size_t n = std::min({buffer.size(), chunk, bytes.size() - at});
    std::memcpy(buffer.data(), bytes.data() + at, n);
    at += n;
    return n;
  });
  if (!opened) return {opened.error(), {}, {}, {}};
  r.info = (*opened)->info();
  Event e;
  while (true) {
    auto more = (*opened)->Next(&e);
    if (!more) return {more.error(), r.info, r.events, {}};
    if (!*more) break;
    StoredEvent s{e.offset, e.timestamp_ns, std::nullopt, {}, std::string(e.payload)};
    if (e.key) s.key = std::string(*e.key);
    for (const HeaderView& h : e.headers) s.headers.emplace_back(h.name, h.value);
    r.events.push_back(std::move(s));
  }
  auto groups = (*opened)->Finish();
  if (!groups) return {groups.error(), r.info, r.events, {}};
  r.groups = *groups;
  return r;
}

void FixHeaderChecksum(std::string* bytes) {
  PutFixed64(bytes->data() + a::kHeaderChecksumAt, Checksum(std::string_view(*bytes).substr(0, a::kHeaderChecksumAt)));
}

}  // namespace

TEST_CASE("ArchiveRoundTripKeepsOffsetsTimestampsKeysHeadersPayloadsAndGroups") {
  for (size_t chunk : {size_t{1}, size_t{7}, size_t{1} << 20}) {
    ReadResult r = Read(SampleArchive(), chunk);
    REQUIRE_MESSAGE(r.status.ok(), r.status.message());
    CHECK(r.info.log_id == "00112233445566778899aabbccddeeff");
    CHECK(r.info.from_offset == 10);
    CHECK(r.info.end_offset == 20);
    CHECK(r.info.event_count == 3);
    CHECK(r.info.segment_bytes == 1 << 20);
    CHECK(r.events == SampleEvents());
    REQUIRE(r.groups.size() == 2);
    CHECK(r.groups[0].name == "g1");
    CHECK(r.groups[0].position == 20);  // clamped to the end of the range
    CHECK(r.groups[1].name == "g2");
    CHECK(r.groups[1].position == 12);
    CHECK(r.groups[1].updated_ns == 5);
  }
}

TEST_CASE("EmptyArchiveRoundTrips") {
  std::string bytes;
  REQUIRE(Write(Info(7, 7, 0), {}, {{"g", 3, 0}}, &bytes).ok());
  CHECK(bytes.size() == a::kHeaderSize + 4 + 1 + 1 + a::kGroupFixedBytes + a::kTrailerSize);
  ReadResult r = Read(bytes);
  REQUIRE(r.status.ok());
  CHECK(r.events.empty());
  REQUIRE(r.groups.size() == 1);
  CHECK(r.groups[0].position == 7);  // clamped up to the start of the range
}

TEST_CASE("ArchiveTruncatedAtEveryByteIsRejected") {
  const std::string bytes = SampleArchive();
  for (size_t size = 0; size < bytes.size(); ++size) {
    ReadResult r = Read(bytes.substr(0, size));
    CHECK_MESSAGE(!r.status.ok(), "accepted an archive cut to " << size << " of " << bytes.size() << " bytes");
  }
}

TEST_CASE("ArchiveWithAnyBitFlippedIsRejected") {
  const std::string bytes = SampleArchive();
  for (size_t bit = 0; bit < bytes.size() * 8; ++bit) {
    std::string damaged = bytes;
    damaged[bit / 8] = static_cast<char>(damaged[bit / 8] ^ (1 << (bit % 8)));
    ReadResult r = Read(damaged);
    CHECK_MESSAGE(!r.status.ok(), "accepted an archive with bit " << bit << " flipped");
  }
}

TEST_CASE("ShortArchiveDeclaringAHugeEntryFailsWithoutAllocatingIt") {
  // A valid header for a log of 1 GiB segments, then one entry declaring 1 GiB, then 5 bytes.
  ArchiveInfo info = Info(0, 1, 1);
  info.segment_bytes = 1ull << 30;
  std::string bytes = EncodeArchiveHeader(info);
  AppendVarint(&bytes, info.segment_bytes);
  bytes += "abcde";
  // glibc serves allocations this large by mmap: hblkhd is what is mapped at each read.
  size_t peak = 0;
  size_t at = 0;
  auto opened = ArchiveReader::Open([&](std::span<char> buffer) -> Result<size_t> {
    peak = std::max(peak, mallinfo2().hblkhd);
    size_t n = std::min(buffer.size(), bytes.size() - at);
    std::memcpy(buffer.data(), bytes.data() + at, n);
    at += n;
    return n;
  });
  REQUIRE(opened);
  Event e;
  auto more = (*opened)->Next(&e);
  REQUIRE_FALSE(more);
  CHECK(more.error().code() == StatusCode::kCorruption);
  CHECK(more.error().message().find("event 1 of 1 at byte 96: cut short at byte") != std::string::npos);
  CHECK(peak < (64u << 20));
}

TEST_CASE("BytesAfterTheTrailerAreRejected") {
  ReadResult r = Read(SampleArchive() + "x");
  CHECK(r.status.code() == StatusCode::kCorruption);
  CHECK(r.status.message().find("after the trailer") != std::string::npos);
}

TEST_CASE("ForeignInputIsNotAnArchive") {
  for (std::string foreign : {std::string("EVLOGSEG") + std::string(100, '\0'), std::string("{\"offset\":0}\n"),
                              std::string("")}) {
    ReadResult r = Read(foreign);
    CHECK(r.status.code() == StatusCode::kInvalidArgument);
    CHECK(r.status.message().find("not an evlog archive") != std::string::npos);
  }
  CHECK(HasArchiveMagic(SampleArchive()));
  CHECK_FALSE(HasArchiveMagic("EVLOGSEG"));
}

TEST_CASE("ArchiveOfANewerVersionIsUnsupported") {
  std::string bytes = SampleArchive();
  PutFixed32(bytes.data() + a::kVersionAt, a::kVersion + 1);
  FixHeaderChecksum(&bytes);
  ReadResult r = Read(bytes);
  CHECK(r.status.code() == StatusCode::kCorruption);
  CHECK(r.status.message().find("unsupported") != std::string::npos);
}

TEST_CASE("AlteredEventWithAValidHeaderFailsTheTrailerChecksum") {
  std::string bytes = SampleArchive();
  const size_t payload_at = bytes.find("text");
  REQUIRE(payload_at != std::string::npos);
  bytes[payload_at] = 'T';
  ReadResult r = Read(bytes);
  CHECK(r.status.code() == StatusCode::kCorruption);
  CHECK(r.status.message().find("checksum mismatch") != std::string::npos);
  CHECK(r.events.size() == 3);  // handed out, but Finish() refused them
}

TEST_CASE("ArchiveWriterRefusesEventsOutOfRangeOrderOrCount") {
  std::vector<StoredEvent> events = SampleEvents();
  std::string out;
  CHECK(Write(Info(10, 15, 3), events, {}, &out).code() == StatusCode::kInvalidArgument);  // 15 is past the end
  std::swap(events[0], events[1]);
  CHECK(Write(Info(10, 20, 3), events, {}, &out).code() == StatusCode::kInvalidArgument);  // out of order
  Status short_count = Write(Info(10, 20, 4), SampleEvents(), {}, &out);
  CHECK(short_count.code() == StatusCode::kInvalidArgument);
  CHECK(short_count.message().find("4 announced") != std::string::npos);
  CHECK(Write(Info(10, 20, 2), SampleEvents(), {}, &out).code() == StatusCode::kInvalidArgument);
  CHECK(Write(Info(10, 12, 3), {}, {}, &out).code() == StatusCode::kInvalidArgument);  // 3 events in 2 offsets
}

}  // namespace eventlog::test
