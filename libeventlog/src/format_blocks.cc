#include "format_blocks.h"

#include <cstring>

#include <fmt/format.h>

#include "coding.h"
#include "format.h"
#include "hash.h"

namespace eventlog {
namespace {

using format::kBlockChecksumAt;
using format::kBlockSize;

std::string NewBlock(std::string_view magic) {
  std::string block(kBlockSize, '\0');
  std::memcpy(block.data(), magic.data(), magic.size());
  return block;
}

void Seal(std::string* block) { PutFixed64(block->data() + kBlockChecksumAt, BlockChecksum(block->data())); }

// Checks size, magic, checksum and version of a block; names `where` and `what` in errors.
Status CheckBlock(std::string_view bytes, std::string_view magic, size_t version_at,
                  const std::string& where, const char* what) {
  if (bytes.size() < kBlockSize) {
    return Status::Corruption(fmt::format("{}: {} is {} bytes, expected {}", where, what, bytes.size(), kBlockSize));
  }
  if (bytes.substr(0, magic.size()) != magic) {
    return Status::Corruption(fmt::format("{}: not an evlog {} (bad magic)", where, what));
  }
  if (GetFixed64(bytes.data() + kBlockChecksumAt) != BlockChecksum(bytes.data())) {
    return Status::Corruption(fmt::format("{}: {} checksum mismatch", where, what));
  }
  // Only now, with the checksum proving the bytes were written so, may version and flags say
  // "unsupported" (format-spec §3, §4.1); the fields after them mean something only in v1.
  uint32_t version = GetFixed32(bytes.data() + version_at);
  if (version != format::kFormatVersion) {
    return Status::Corruption(fmt::format("{}: {} has unsupported format version {} (this evlog reads version {})",
                                          where, what, version, format::kFormatVersion));
  }
  return Status::Ok();
}

}  // namespace

std::string EncodeMeta(const LogMeta& meta) {
  namespace m = format::meta;
  std::string b = NewBlock(m::kMagic);
  PutFixed32(b.data() + m::kVersionAt, format::kFormatVersion);
  std::memcpy(b.data() + m::kLogIdAt, meta.log_id.data(), meta.log_id.size());
  PutFixed64(b.data() + m::kSegmentBytesAt, meta.segment_bytes);
  PutFixed64(b.data() + m::kMaxEventBytesAt, meta.max_event_bytes);
  PutFixed64(b.data() + m::kCreatedAt, static_cast<uint64_t>(meta.created_ns));
  Seal(&b);
  return b;
}

Result<LogMeta> DecodeMeta(std::string_view bytes, const std::string& where) {
  namespace m = format::meta;
  EVLOG_RETURN_IF_ERROR(CheckBlock(bytes, m::kMagic, m::kVersionAt, where, "log metadata"));
  if (uint32_t flags = GetFixed32(bytes.data() + m::kFlagsAt); flags != 0) {
    return Status::Corruption(fmt::format("{}: unsupported flags {:#x} in the log metadata", where, flags));
  }
  LogMeta meta;
  std::memcpy(meta.log_id.data(), bytes.data() + m::kLogIdAt, meta.log_id.size());
  meta.segment_bytes = GetFixed64(bytes.data() + m::kSegmentBytesAt);
  meta.max_event_bytes = GetFixed64(bytes.data() + m::kMaxEventBytesAt);
  meta.created_ns = static_cast<int64_t>(GetFixed64(bytes.data() + m::kCreatedAt));
  return meta;
}

std::string EncodeSegmentHeader(const SegmentHeader& header) {
  namespace s = format::segment;
  std::string b = NewBlock(s::kMagic);
  PutFixed32(b.data() + s::kVersionAt, format::kFormatVersion);
  std::memcpy(b.data() + s::kLogIdAt, header.log_id.data(), header.log_id.size());
  PutFixed64(b.data() + s::kBaseOffsetAt, header.base_offset);
  PutFixed64(b.data() + s::kCreatedAt, static_cast<uint64_t>(header.created_ns));
  PutFixed64(b.data() + s::kChainOutAt, header.chain_out);
  Seal(&b);
  return b;
}

Result<SegmentHeader> DecodeSegmentHeader(std::string_view bytes, const std::string& where) {
  namespace s = format::segment;
  EVLOG_RETURN_IF_ERROR(CheckBlock(bytes, s::kMagic, s::kVersionAt, where, "segment header"));
  if (uint32_t flags = GetFixed32(bytes.data() + s::kFlagsAt); flags != 0) {
    return Status::Corruption(fmt::format("{}: unsupported flags {:#x} in the segment header", where, flags));
  }
  SegmentHeader header;
  std::memcpy(header.log_id.data(), bytes.data() + s::kLogIdAt, header.log_id.size());
  header.base_offset = GetFixed64(bytes.data() + s::kBaseOffsetAt);
  header.created_ns = static_cast<int64_t>(GetFixed64(bytes.data() + s::kCreatedAt));
  header.chain_out = GetFixed64(bytes.data() + s::kChainOutAt);
  return header;
}

// HEAD has no room for the log id, so its checksum carries it (format-spec §6.1): a HEAD
// copied from another log fails the check as if it were damaged.
uint64_t HeadChecksum(const char* block, const LogId& log_id) {
  return BlockChecksum(block) ^ GetFixed64(log_id.data());
}

std::string EncodeHead(const HeadRecord& head, const LogId& log_id) {
  namespace h = format::head;
  std::string b = NewBlock(h::kMagic);
  PutFixed64(b.data() + h::kSequenceAt, head.sequence);
  PutFixed64(b.data() + h::kSegmentBaseAt, head.segment_base);
  PutFixed64(b.data() + h::kCommittedEndAt, head.committed_end);
  PutFixed64(b.data() + h::kNextOffsetAt, head.next_offset);
  PutFixed64(b.data() + h::kLastTimeAt, static_cast<uint64_t>(head.last_timestamp));
  PutFixed64(b.data() + h::kLastChecksumAt, head.last_checksum);
  PutFixed64(b.data() + kBlockChecksumAt, HeadChecksum(b.data(), log_id));
  return b;
}

bool DecodeHead(std::string_view bytes, const LogId& log_id, HeadRecord* head) {
  namespace h = format::head;
  if (bytes.size() < kBlockSize || bytes.substr(0, h::kMagic.size()) != h::kMagic) return false;
  if (GetFixed64(bytes.data() + kBlockChecksumAt) != HeadChecksum(bytes.data(), log_id)) return false;
  head->sequence = GetFixed64(bytes.data() + h::kSequenceAt);
  head->segment_base = GetFixed64(bytes.data() + h::kSegmentBaseAt);
  head->committed_end = GetFixed64(bytes.data() + h::kCommittedEndAt);
  head->next_offset = GetFixed64(bytes.data() + h::kNextOffsetAt);
  head->last_timestamp = static_cast<int64_t>(GetFixed64(bytes.data() + h::kLastTimeAt));
  head->last_checksum = GetFixed64(bytes.data() + h::kLastChecksumAt);
  return true;
}

std::string EncodeIndexHeader(const IndexHeader& header) {
  namespace x = format::index;
  std::string b = NewBlock(x::kMagic);
  PutFixed32(b.data() + x::kVersionAt, format::kFormatVersion);
  PutFixed32(b.data() + x::kEntrySizeAt, x::kEntrySize);
  std::memcpy(b.data() + x::kLogIdAt, header.log_id.data(), header.log_id.size());
  PutFixed64(b.data() + x::kBaseOffsetAt, header.base_offset);
  PutFixed64(b.data() + x::kIntervalAt, x::kIntervalBytes);
  Seal(&b);
  return b;
}

Result<IndexHeader> DecodeIndexHeader(std::string_view bytes, const std::string& where) {
  namespace x = format::index;
  EVLOG_RETURN_IF_ERROR(CheckBlock(bytes, x::kMagic, x::kVersionAt, where, "index header"));
  if (GetFixed32(bytes.data() + x::kEntrySizeAt) != x::kEntrySize ||
      GetFixed64(bytes.data() + x::kIntervalAt) != x::kIntervalBytes) {
    return Status::Corruption(where + ": index header has an unsupported entry size or interval");
  }
  IndexHeader header;
  std::memcpy(header.log_id.data(), bytes.data() + x::kLogIdAt, header.log_id.size());
  header.base_offset = GetFixed64(bytes.data() + x::kBaseOffsetAt);
  return header;
}

}  // namespace eventlog
