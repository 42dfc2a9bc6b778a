// The archive reader (format-spec §12), which `evlog import` runs over untrusted input.
//
// Input: one flag byte, then the archive.
//   bit 0: seal the header checksum; bit 1: seal the trailer checksum (the last 8 bytes
//   become the checksum of everything before them); bit 2: the source hands out at most
//   7 bytes per read, which exercises the reader's refills at every boundary.
// Properties beyond not crashing:
//   - every event handed out is in the header's range, in offset order, with timestamps
//     that never decrease;
//   - an archive that verifies is rewritten by ArchiveWriter, which must accept everything
//     the reader accepted, to the same bytes, or to fewer bytes when the input used longer
//     varints than needed, never to different ones; the rewrite reads back the same.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "archive_codec.h"
#include "coding.h"
#include "eventlog/archive.h"
#include "format.h"
#include "fuzz_check.h"
#include "hash.h"
#include "owned_event.h"

namespace eventlog {
namespace {

namespace a = format::archive;

struct Archive {
  ArchiveInfo info;
  std::vector<fuzz::OwnedEvent> events;
  std::vector<GroupInfo> groups;
};

// Reads a whole archive; nullopt if it does not verify.
std::optional<Archive> ReadArchive(std::string_view bytes, size_t max_read) {
  size_t at = 0;
  auto source = [&](std::span<char> buffer) -> Result<size_t> {
    const size_t n = std::min({buffer.size(), bytes.size() - at, max_read});
    std::memcpy(buffer.data(), bytes.data() + at, n);
    at += n;
    return n;
  };
  auto reader = ArchiveReader::Open(source);
  if (!reader) return std::nullopt;
  Archive out{(*reader)->info(), {}, {}};
  Event e;
  while (true) {
    auto more = (*reader)->Next(&e);
    if (!more) return std::nullopt;
    if (!*more) break;
    FUZZ_CHECK(e.offset >= out.info.from_offset && e.offset < out.info.end_offset);
    FUZZ_CHECK(out.events.empty() || (e.offset > out.events.back().offset &&
                                      e.timestamp_ns >= out.events.back().timestamp));
    out.events.push_back(fuzz::Own(e));
  }
  FUZZ_CHECK(out.events.size() == out.info.event_count);
  auto groups = (*reader)->Finish();
  if (!groups) return std::nullopt;
  out.groups = std::move(groups).value();
  return out;
}

std::string WriteArchive(const Archive& archive) {
  std::string out;
  ArchiveWriter writer([&](std::string_view bytes) {
    out.append(bytes);
    return Status::Ok();
  });
  FUZZ_CHECK(writer.Begin(archive.info).ok());
  std::vector<HeaderView> headers;
  for (const fuzz::OwnedEvent& e : archive.events) FUZZ_CHECK(writer.Add(fuzz::View(e, &headers)).ok());
  FUZZ_CHECK(writer.Finish(archive.groups).ok());
  return out;
}

bool SameGroups(const std::vector<GroupInfo>& x, const std::vector<GroupInfo>& y) {
  if (x.size() != y.size()) return false;
  for (size_t i = 0; i < x.size(); ++i) {
    if (x[i].name != y[i].name || x[i].position != y[i].position || x[i].updated_ns != y[i].updated_ns) return false;
  }
  return true;
}

}  // namespace
}  // namespace eventlog

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  using namespace eventlog;
  if (size < 1) return 0;
  const uint8_t flags = bytes[0];
  std::string data(reinterpret_cast<const char*>(bytes) + 1, size - 1);
  if ((flags & 1) && data.size() >= a::kHeaderSize) {
    PutFixed64(data.data() + a::kHeaderChecksumAt, Checksum(std::string_view(data).substr(0, a::kHeaderChecksumAt)));
  }
  if ((flags & 2) && data.size() >= a::kHeaderSize + a::kTrailerSize) {
    const size_t at = data.size() - 8;
    PutFixed64(data.data() + at, Checksum(std::string_view(data).substr(0, at)));
  }
  const std::optional<Archive> archive = ReadArchive(data, (flags & 4) ? 7 : SIZE_MAX);
  if (!archive) return 0;
  const std::string rewritten = WriteArchive(*archive);
  FUZZ_CHECK(rewritten.size() <= data.size());
  if (rewritten.size() == data.size() && GetFixed64(data.data() + a::kReservedAt) == 0) {
    FUZZ_CHECK(rewritten == data);
  }
  const std::optional<Archive> again = ReadArchive(rewritten, SIZE_MAX);
  FUZZ_CHECK(again.has_value() && again->events == archive->events && SameGroups(again->groups, archive->groups));
  return 0;
}
