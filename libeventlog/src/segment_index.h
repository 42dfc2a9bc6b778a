// The sparse offset and time index NNN.idx (format-spec §7). A cache: never synced, rebuilt
// when in doubt, and every entry is validated against the segment before it is trusted.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "eventlog/file_system.h"
#include "format_blocks.h"

namespace eventlog {

struct IndexEntry {
  uint64_t offset = 0;    // base offset of the frame
  uint64_t position = 0;  // byte position of the frame in the segment
  int64_t timestamp = 0;  // first timestamp of the frame
};

// A frame gets an entry iff [position, position + aligned_length) holds a multiple of the
// index interval: deterministic, so a rebuilt index equals the incrementally written one.
bool FrameNeedsIndexEntry(uint64_t position, uint64_t aligned_length);

// The entries of segment `base`'s index, up to the first one that is out of order (offsets
// and positions must increase, timestamps must not decrease); empty if the file is missing or
// its header does not verify.
std::vector<IndexEntry> ReadIndex(FileSystem* fs, const std::string& dir, uint64_t base, const LogId& log_id);

// Appends entries at the end of the index (after its last whole entry), creating the file.
Status AppendIndexEntries(FileSystem* fs, const std::string& dir, uint64_t base, const LogId& log_id,
                          std::span<const IndexEntry> entries);

// Rewrites the index from the frames in segment bytes [header, end).
Status RebuildIndex(FileSystem* fs, const std::string& dir, uint64_t base, const LogId& log_id,
                    std::string_view segment_data, uint64_t end);

}  // namespace eventlog
