#include "archive_codec.h"

#include <fmt/format.h>

#include "coding.h"
#include "eventlog/log.h"
#include "format.h"
#include "frame.h"
#include "hash.h"

namespace eventlog {

namespace a = format::archive;

namespace {

// The event capacity C of format-spec §3: an archive carries its source's limits, which
// must be limits a log may have.
uint64_t EventCapacity(uint64_t segment_bytes) {
  return (segment_bytes & ~uint64_t{format::frame::kAlignment - 1}) - format::segment::kHeaderSize -
         format::frame::kHeaderSize;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

void PutLogId(char* dst, const std::string& hex) {
  for (size_t i = 0; i < 16; ++i) dst[i] = static_cast<char>(HexDigit(hex[2 * i]) * 16 + HexDigit(hex[2 * i + 1]));
}

std::string GetLogId(const char* src) {
  std::string hex;
  for (size_t i = 0; i < 16; ++i) hex += fmt::format("{:02x}", static_cast<unsigned char>(src[i]));
  return hex;
}

}  // namespace

bool HasArchiveMagic(std::string_view prefix) { return prefix.substr(0, a::kMagic.size()) == a::kMagic; }

Status ValidateArchiveInfo(const ArchiveInfo& info) {
  bool hex = info.log_id.size() == 32;
  for (char c : info.log_id) hex = hex && HexDigit(c) >= 0;
  if (!hex) return Status::InvalidArgument(fmt::format("log id '{}' is not 32 lower-case hex digits", info.log_id));
  if (info.segment_bytes < LogLimits::kMinSegmentBytes || info.segment_bytes > LogLimits::kMaxSegmentBytes ||
      info.max_event_bytes < 1 || info.max_event_bytes > EventCapacity(info.segment_bytes)) {
    return Status::InvalidArgument(fmt::format("segment size {} or maximum event size {} out of range",
                                               info.segment_bytes, info.max_event_bytes));
  }
  if (info.from_offset > info.end_offset || info.event_count > info.end_offset - info.from_offset) {
    return Status::InvalidArgument(fmt::format("{} events do not fit the offset range {}..{} (exclusive end)",
                                               info.event_count, info.from_offset, info.end_offset));
  }
  return Status::Ok();
}

std::string EncodeArchiveHeader(const ArchiveInfo& info) {
  std::string out(a::kHeaderSize, '\0');
  char* p = out.data();
  std::memcpy(p + a::kMagicAt, a::kMagic.data(), a::kMagic.size());
  PutFixed32(p + a::kVersionAt, a::kVersion);
  PutFixed32(p + a::kFlagsAt, 0);
  PutLogId(p + a::kLogIdAt, info.log_id);
  PutFixed64(p + a::kFromOffsetAt, info.from_offset);
  PutFixed64(p + a::kEndOffsetAt, info.end_offset);
  PutFixed64(p + a::kEventCountAt, info.event_count);
  PutFixed64(p + a::kCreatedAt, static_cast<uint64_t>(info.created_ns));
  PutFixed64(p + a::kSegmentBytesAt, info.segment_bytes);
  PutFixed64(p + a::kMaxEventBytesAt, info.max_event_bytes);
  PutFixed64(p + a::kReservedAt, 0);
  PutFixed64(p + a::kHeaderChecksumAt, Checksum(std::string_view(p, a::kHeaderChecksumAt)));
  return out;
}

Result<ArchiveInfo> DecodeArchiveHeader(std::string_view bytes) {
  const char* p = bytes.data();
  if (bytes.size() != a::kHeaderSize || !HasArchiveMagic(bytes)) {
    return Status::InvalidArgument("archive: not an evlog archive (bad magic)");
  }
  if (GetFixed64(p + a::kHeaderChecksumAt) != Checksum(bytes.substr(0, a::kHeaderChecksumAt))) {
    return Status::Corruption("archive: header checksum mismatch at byte 0");
  }
  const uint32_t version = GetFixed32(p + a::kVersionAt);
  const uint32_t flags = GetFixed32(p + a::kFlagsAt);
  if (version != a::kVersion || flags != 0) {
    return Status::Corruption(fmt::format(
        "archive: unsupported version {} or flags {:#x} (this evlog reads archive version {})", version, flags,
        a::kVersion));
  }
  ArchiveInfo info;
  info.log_id = GetLogId(p + a::kLogIdAt);
  info.from_offset = GetFixed64(p + a::kFromOffsetAt);
  info.end_offset = GetFixed64(p + a::kEndOffsetAt);
  info.event_count = GetFixed64(p + a::kEventCountAt);
  info.created_ns = static_cast<int64_t>(GetFixed64(p + a::kCreatedAt));
  info.segment_bytes = GetFixed64(p + a::kSegmentBytesAt);
  info.max_event_bytes = GetFixed64(p + a::kMaxEventBytesAt);
  Status valid = ValidateArchiveInfo(info);
  if (!valid.ok()) return Status::Corruption("archive: header: " + valid.message());
  return info;
}

void AppendArchiveEntry(std::string* out, const Event& e) {
  AppendVarint(out, a::kEntryFixedBytes + KeyHeadersPayloadSize(e.key, e.headers, e.payload));
  char fixed[a::kEntryFixedBytes];
  PutFixed64(fixed, e.offset);
  PutFixed64(fixed + 8, static_cast<uint64_t>(e.timestamp_ns));
  out->append(fixed, sizeof(fixed));
  AppendKeyHeadersPayload(out, e.key, e.headers, e.payload);
}

bool DecodeArchiveEntry(std::string_view entry, Event* e, std::vector<HeaderView>* headers) {
  if (entry.size() < a::kEntryFixedBytes) return false;
  const char* p = entry.data();
  const char* end = p + entry.size();
  e->offset = GetFixed64(p);
  e->timestamp_ns = static_cast<int64_t>(GetFixed64(p + 8));
  p += a::kEntryFixedBytes;
  uint64_t key_plus_one, header_count;
  if (!DecodeVarint(&p, end, &key_plus_one)) return false;
  if (key_plus_one == 0) {
    e->key.reset();
  } else {
    if (key_plus_one - 1 > static_cast<uint64_t>(end - p)) return false;
    e->key = std::string_view(p, key_plus_one - 1);
    p += key_plus_one - 1;
  }
  // Each header takes at least two bytes: a bound against hostile counts before allocating.
  if (!DecodeVarint(&p, end, &header_count) || header_count > static_cast<uint64_t>(end - p) / 2) return false;
  headers->clear();
  for (uint64_t i = 0; i < header_count; ++i) {
    HeaderView h;
    if (!DecodeLengthPrefixed(&p, end, &h.name) || !DecodeLengthPrefixed(&p, end, &h.value)) return false;
    headers->push_back(h);
  }
  e->headers = *headers;
  e->payload = std::string_view(p, static_cast<size_t>(end - p));
  return true;
}

}  // namespace eventlog
