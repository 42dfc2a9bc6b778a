// Reading an archive (format-spec §12) from a stream. Nothing in the input is trusted
// before it is checked: every length is bounded before anything is allocated for it (an
// entry by the source's segment size and, as it is read, by the bytes the input holds; a
// header count by the bytes left in its entry), and every byte consumed is hashed, so that
// Finish() can compare the trailer's checksum.
#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "archive_codec.h"
#include "coding.h"
#include "format.h"
#include "hash.h"

namespace eventlog {

namespace a = format::archive;

namespace {
constexpr size_t kReadChunk = 64 << 10;
// The smallest entry: offset and timestamp, a zero key field and a zero header count.
constexpr uint64_t kMinEntryBytes = a::kEntryFixedBytes + 2;
}  // namespace

class ArchiveReader::Impl {
 public:
  explicit Impl(ArchiveSource source) : source_(std::move(source)), buffer_(kReadChunk, '\0') {}

  Status ReadHeader() {
    std::string header(a::kHeaderSize, '\0');
    size_t got = 0;
    EVLOG_RETURN_IF_ERROR(ReadUpTo(header.data(), header.size(), &got));
    // Not an archive at all, rather than a damaged one: the bytes it has are not our magic.
    const size_t n = std::min(got, a::kMagic.size());
    if (got == 0 || std::string_view(header.data(), n) != a::kMagic.substr(0, n)) {
      return Status::InvalidArgument("archive: not an evlog archive (bad magic)");
    }
    if (got < a::kHeaderSize) {
      return Status::Corruption(fmt::format("archive: cut short at byte {}, inside the {}-byte header", got,
                                            a::kHeaderSize));
    }
    EVLOG_ASSIGN_OR_RETURN(info_, DecodeArchiveHeader(header));
    return Status::Ok();
  }

  const ArchiveInfo& info() const { return info_; }

  Result<bool> Next(Event* event) {
    if (read_ == info_.event_count) return false;
    const uint64_t at = consumed_;
    auto damaged = [&](std::string_view why) {
      return Status::Corruption(
          fmt::format("archive: event {} of {} at byte {}: {}", read_ + 1, info_.event_count, at, why));
    };
    uint64_t length;
    if (Status s = ReadVarint(&length); !s.ok()) return damaged(s.message());
    // An entry holds one event record of the source log, which fits in a segment.
    if (length < kMinEntryBytes || length > info_.segment_bytes) {
      return damaged(fmt::format("bad entry length {}", length));
    }
    if (Status s = ReadEntry(length); !s.ok()) return damaged(s.message());
    if (!DecodeArchiveEntry(entry_, event, &headers_)) return damaged("entry does not decode");
    if (event->offset < info_.from_offset || event->offset >= info_.end_offset ||
        (read_ > 0 && event->offset <= last_offset_)) {
      return damaged(fmt::format("offset {} out of order or outside the range {}..{} (exclusive)", event->offset,
                                 info_.from_offset, info_.end_offset));
    }
    if (read_ > 0 && event->timestamp_ns < last_timestamp_) return damaged("timestamp goes backwards");
    last_offset_ = event->offset;
    last_timestamp_ = event->timestamp_ns;
    ++read_;
    return true;
  }

  Result<std::vector<GroupInfo>> Finish() {
    if (read_ != info_.event_count) return Status::InvalidArgument("archive: Finish before the last event was read");
    char count_bytes[4];
    if (Status s = ReadExact(count_bytes, sizeof(count_bytes)); !s.ok()) return s.WithContext("archive: group count");
    const uint32_t count = GetFixed32(count_bytes);
    std::vector<GroupInfo> groups;
    for (uint32_t i = 0; i < count; ++i) {
      EVLOG_ASSIGN_OR_RETURN(GroupInfo g, ReadGroup(i, count, groups.empty() ? nullptr : &groups.back()));
      groups.push_back(std::move(g));
    }
    EVLOG_RETURN_IF_ERROR(ReadTrailer());
    return groups;
  }

 private:
  Result<GroupInfo> ReadGroup(uint32_t i, uint32_t count, const GroupInfo* previous) {
    const std::string where = fmt::format("archive: group {} of {} at byte {}", i + 1, count, consumed_);
    char length;
    EVLOG_RETURN_IF_ERROR(ReadExact(&length, 1).WithContext(where));
    GroupInfo g;
    g.name.resize(static_cast<unsigned char>(length));
    char fixed[a::kGroupFixedBytes];
    EVLOG_RETURN_IF_ERROR(ReadExact(g.name.data(), g.name.size()).WithContext(where));
    EVLOG_RETURN_IF_ERROR(ReadExact(fixed, sizeof(fixed)).WithContext(where));
    g.position = GetFixed64(fixed);
    g.updated_ns = static_cast<int64_t>(GetFixed64(fixed + 8));
    if (g.name.empty() || (previous && previous->name >= g.name) || g.position < info_.from_offset ||
        g.position > info_.end_offset) {
      return Status::Corruption(fmt::format("{}: empty or unsorted name, or position {} outside {}..{}", where,
                                            g.position, info_.from_offset, info_.end_offset));
    }
    return g;
  }

  Status ReadTrailer() {
    const uint64_t at = consumed_;
    char magic[a::kTrailerChecksumAt];
    EVLOG_RETURN_IF_ERROR(ReadExact(magic, sizeof(magic)).WithContext("archive: trailer"));
    if (std::string_view(magic, sizeof(magic)) != a::kTrailerMagic) {
      return Status::Corruption(fmt::format("archive: bad trailer magic at byte {}", at));
    }
    const uint64_t expected = sum_.Digest();
    char stored[8];
    hashing_ = false;
    EVLOG_RETURN_IF_ERROR(ReadExact(stored, sizeof(stored)).WithContext("archive: trailer"));
    if (GetFixed64(stored) != expected) {
      return Status::Corruption("archive: checksum mismatch: the archive was altered or damaged");
    }
    char extra;
    size_t got = 0;
    EVLOG_RETURN_IF_ERROR(ReadUpTo(&extra, 1, &got));
    if (got != 0) return Status::Corruption(fmt::format("archive: unexpected bytes after the trailer at byte {}", consumed_ - 1));
    return Status::Ok();
  }

  // Reads an entry of `length` bytes into entry_, growing it only as bytes arrive: a
  // short archive that declares a huge entry (a 101-byte file claiming 2.4 GiB) must fail
  // at its end, having allocated at most about twice what it holds.
  Status ReadEntry(uint64_t length) {
    entry_.clear();
    while (entry_.size() < length) {
      const size_t at = entry_.size();
      const size_t take = static_cast<size_t>(std::min<uint64_t>(length - at, std::max<size_t>(at, kReadChunk)));
      entry_.resize(at + take);
      EVLOG_RETURN_IF_ERROR(ReadExact(entry_.data() + at, take));
    }
    return Status::Ok();
  }

  // Reads a varint byte by byte (format-spec §1: at most 10 bytes, value below 2^64).
  Status ReadVarint(uint64_t* value) {
    char bytes[kMaxVarintBytes];
    for (size_t n = 0; n < kMaxVarintBytes; ++n) {
      EVLOG_RETURN_IF_ERROR(ReadExact(bytes + n, 1));
      if ((static_cast<unsigned char>(bytes[n]) & 0x80) == 0) {
        const char* p = bytes;
        if (DecodeVarint(&p, bytes + n + 1, value)) return Status::Ok();
        break;
      }
    }
    return Status::Corruption("bad varint");
  }

  Status ReadExact(char* out, size_t n) {
    size_t got = 0;
    EVLOG_RETURN_IF_ERROR(ReadUpTo(out, n, &got));
    if (got < n) return Status::Corruption(fmt::format("cut short at byte {}", consumed_));
    return Status::Ok();
  }

  // Copies up to n bytes, fewer only at the end of the input; hashes what it copies.
  Status ReadUpTo(char* out, size_t n, size_t* got) {
    *got = 0;
    while (*got < n) {
      if (pos_ == end_) {
        if (eof_) break;
        EVLOG_ASSIGN_OR_RETURN(size_t filled, source_(std::span<char>(buffer_.data(), buffer_.size())));
        pos_ = 0;
        end_ = filled;
        eof_ = filled == 0;
        continue;
      }
      const size_t take = std::min(n - *got, end_ - pos_);
      std::memcpy(out + *got, buffer_.data() + pos_, take);
      if (hashing_) sum_.Update(std::string_view(buffer_.data() + pos_, take));
      pos_ += take;
      *got += take;
      consumed_ += take;
    }
    return Status::Ok();
  }

  ArchiveSource source_;
  std::string buffer_;
  size_t pos_ = 0;
  size_t end_ = 0;
  bool eof_ = false;
  bool hashing_ = true;
  uint64_t consumed_ = 0;
  StreamingChecksum sum_;
  ArchiveInfo info_;
  uint64_t read_ = 0;
  uint64_t last_offset_ = 0;
  int64_t last_timestamp_ = 0;
  std::string entry_;
  std::vector<HeaderView> headers_;
};

Result<std::unique_ptr<ArchiveReader>> ArchiveReader::Open(ArchiveSource source) {
  auto impl = std::make_unique<Impl>(std::move(source));
  EVLOG_RETURN_IF_ERROR(impl->ReadHeader());
  return std::unique_ptr<ArchiveReader>(new ArchiveReader(std::move(impl)));
}

ArchiveReader::ArchiveReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ArchiveReader::~ArchiveReader() = default;
const ArchiveInfo& ArchiveReader::info() const { return impl_->info(); }
Result<bool> ArchiveReader::Next(Event* event) { return impl_->Next(event); }
Result<std::vector<GroupInfo>> ArchiveReader::Finish() { return impl_->Finish(); }

}  // namespace eventlog
