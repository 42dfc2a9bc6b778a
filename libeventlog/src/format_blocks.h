// Encoding and validation of the fixed 64-byte blocks: META (§3), the segment header (§4),
// HEAD (§6) and the index header (§7). Each ends with the XXH3-64 of its first 56 bytes.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "eventlog/status.h"

namespace eventlog {

using LogId = std::array<char, 16>;

struct LogMeta {
  LogId log_id{};
  uint64_t segment_bytes = 0;
  uint64_t max_event_bytes = 0;
  int64_t created_ns = 0;
};

struct SegmentHeader {
  LogId log_id{};
  uint64_t base_offset = 0;
  int64_t created_ns = 0;
  // format-spec §4.1: what the next segment's first frame chains to; 0 = this segment's
  // last frame. Only a key-compaction rewrite sets it (to the original last checksum).
  uint64_t chain_out = 0;

  // The checksum the next segment's first frame names as prev_checksum, given the checksum
  // of this segment's last frame (or, for a segment without frames, of its predecessor).
  uint64_t OutgoingChecksum(uint64_t last_frame_checksum) const {
    return chain_out != 0 ? chain_out : last_frame_checksum;
  }
};

// The committed end as published in HEAD.
struct HeadRecord {
  uint64_t sequence = 0;
  uint64_t segment_base = 0;
  uint64_t committed_end = 0;
  uint64_t next_offset = 0;
  int64_t last_timestamp = 0;
  uint64_t last_checksum = 0;
};

struct IndexHeader {
  LogId log_id{};
  uint64_t base_offset = 0;
};

std::string EncodeMeta(const LogMeta& meta);
// `where` names the file in error messages.
Result<LogMeta> DecodeMeta(std::string_view bytes, const std::string& where);

std::string EncodeSegmentHeader(const SegmentHeader& header);
Result<SegmentHeader> DecodeSegmentHeader(std::string_view bytes, const std::string& where);

// HEAD's checksum is the block checksum XOR the first 8 bytes of the log id (format-spec
// §6.1), so a HEAD belongs to one log.
std::string EncodeHead(const HeadRecord& head, const LogId& log_id);
// Returns false if the bytes are not a HEAD block of the log `log_id` with a valid checksum.
bool DecodeHead(std::string_view bytes, const LogId& log_id, HeadRecord* head);

std::string EncodeIndexHeader(const IndexHeader& header);
Result<IndexHeader> DecodeIndexHeader(std::string_view bytes, const std::string& where);

}  // namespace eventlog
