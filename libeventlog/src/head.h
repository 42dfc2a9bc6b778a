// HEAD (format-spec §6): where committed data ends. The writer rewrites it with one pwrite
// after each fdatasync; readers pread it without a lock, so a read may overlap a write:
// the checksum tells a torn read from a real one, and the reader simply reads again.
#pragma once

#include <optional>

#include "eventlog/file_system.h"
#include "format_blocks.h"

namespace eventlog {

// The current HEAD, or nullopt if the file is empty or does not verify (a crash while it
// was being rewritten, or damage): callers then fall back to recovery.
Result<std::optional<HeadRecord>> ReadHead(const File& head_file);

Status WriteHead(File& head_file, const HeadRecord& head);

// Checks, holding the append lock, that HEAD at `path` reads back exactly `published` (what
// this process's writer just adopted or recovered). Maintenance that reads the log through a
// Reader under the lock calls it first: a Reader that finds HEAD unreadable asks for recovery,
// which needs the lock its caller already holds, and would wait for itself forever.
// kCorruption if HEAD does not verify (say, it is a link to /dev/null) or says something else.
Status CheckHeadReadsBack(FileSystem* fs, const std::string& path, const HeadRecord& published);

}  // namespace eventlog
