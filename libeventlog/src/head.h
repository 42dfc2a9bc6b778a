// HEAD (format-spec §6): where committed data ends. The writer rewrites it with one pwrite
// after each fdatasync; readers pread it without a lock, so a read may overlap a write:
// the checksum tells a torn read from a real one, and the reader simply reads again.
#pragma once

#include <optional>

#include "eventlog/file_system.h"
#include "format_blocks.h"

namespace eventlog {

// The current HEAD, or nullopt if the file is not a valid HEAD (format-spec §6.1): empty,
// failing its checksum (a crash while it was being rewritten, or damage), or with a
// committed_end that is not a multiple of 8 in [64, segment_bytes], which no writer
// publishes: trusting such a HEAD would cut a committed frame in two. Callers then find the
// committed end from the frames (tail_scan.h).
Result<std::optional<HeadRecord>> ReadHead(const File& head_file, const LogMeta& meta);

Status WriteHead(File& head_file, const HeadRecord& head, const LogMeta& meta);

// Checks, holding the append lock, that HEAD at `path` reads back exactly `published` (what
// this process's writer just adopted or recovered). Maintenance that rewrites the log under
// the lock calls it first, so that it never works from a HEAD that readers cannot find.
// kCorruption if HEAD does not verify (say, it is a link to /dev/null) or says something else.
Status CheckHeadReadsBack(FileSystem* fs, const std::string& path, const LogMeta& meta, const HeadRecord& published);

}  // namespace eventlog
