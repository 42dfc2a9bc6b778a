// Segment files (format-spec §4): naming, creation and opening with header validation.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "eventlog/file_system.h"
#include "format_blocks.h"

namespace eventlog {

std::string SegmentFileName(uint64_t base_offset);
std::string IndexFileName(uint64_t base_offset);
// Parses "<20 digits>.seg"; false for any other name.
bool ParseSegmentFileName(std::string_view name, uint64_t* base_offset);

// Base offsets of the segments in `dir`, ascending.
Result<std::vector<uint64_t>> ListSegments(FileSystem* fs, const std::string& dir);

// Creates `path` durably with `contents`: write NAME.tmp, sync, rename, sync the directory.
Status CreateFileDurably(FileSystem* fs, const std::string& dir, const std::string& name,
                         std::string_view contents);

// Opens a segment and checks its header against the log id and the base offset its name
// promises. Errors name the file. If `header` is given, the decoded header is stored there.
Result<std::unique_ptr<File>> OpenSegment(FileSystem* fs, const std::string& dir, uint64_t base_offset,
                                          const LogId& log_id, OpenMode mode, SegmentHeader* header = nullptr);

// OpenSegment for a segment found in a listing. Compaction may remove it in between: then
// kNotFound, and the caller lists again. A name that stays listed yet cannot be opened (a
// dangling symlink, say) is kCorruption naming the file: retrying would loop forever.
Result<std::unique_ptr<File>> OpenListedSegment(FileSystem* fs, const std::string& dir, uint64_t base_offset,
                                                const LogId& log_id, SegmentHeader* header = nullptr);

}  // namespace eventlog
