// A small reference log for damage tests: a closed segment, then an active segment holding
// batches of one frame and of many, written with preset offsets and timestamps so that two
// references built alike differ only in their payloads (and so in their checksums).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "fault_file_system.h"
#include "history.h"

namespace eventlog::torture {

struct ReferenceBatch {
  uint64_t segment_base = 0;
  uint64_t end_position = 0;  // where the batch ends in its segment
  std::vector<LogEvent> events;
};

struct ReferenceLog {
  static constexpr const char* kDir = "/ref";
  std::map<std::string, std::string> files;  // path -> bytes: META, HEAD, segments, indexes
  std::vector<ReferenceBatch> batches;
  uint64_t active_base = 0;
  std::string active_path;   // the active segment
  std::string head_path;
  std::string stale_head;    // HEAD as published by the last batch of the closed segment
  std::string rolled_head;   // HEAD as the roll published it: the active segment, at byte 64

  // Installs the files (durable) in `fs`, with `replaced` files instead of the originals.
  void Install(testing::FaultFileSystem& fs, const std::map<std::string, std::string>& replaced = {}) const;
  // The events of the batches that lie wholly below `active_end` in the active segment (and
  // of every batch of the closed segment).
  std::vector<LogEvent> EventsBelow(uint64_t active_end) const;
};

// `producer` names the payloads; `active_bytes` is about how much the active segment holds.
ReferenceLog BuildReferenceLog(uint64_t producer, uint64_t segment_bytes, uint64_t active_bytes);

}  // namespace eventlog::torture
