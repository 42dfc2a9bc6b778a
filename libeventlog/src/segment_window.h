// The bytes of one segment as a Reader sees them, read with pread into a buffer that moves
// forward with the reader, rather than through a memory mapping.
//
// Why not a mapping: each page of a mapping costs a page fault the first time it is touched,
// and on a virtual machine a fault (a page-table update the hypervisor must see) costs more
// than copying the page. Measured on the 2-core VM this project runs on, hashing a 63 MB
// segment took 77 ms through a mapping (55 ms with MAP_POPULATE) and 18-26 ms through
// pread into a 256 KiB buffer, which stays in the CPU cache while its frame is hashed and
// decoded: how `cat` reads. A mapping is still used for a span larger than the buffer may
// grow (a frame holding one huge event), so that a length word, which is only trusted once
// its checksum has been verified, never sizes an allocation beyond kMaxBufferedSpan.
//
// Bytes are only ever read below the limit the caller passes (the committed end, or a
// closed segment's size), and bytes below that limit never change (format-spec §6: a
// segment is append-only below its committed end; compaction writes new files), so what
// the buffer holds stays valid as the limit grows.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "eventlog/file_system.h"
#include "eventlog/status.h"

namespace eventlog {

class SegmentWindow {
 public:
  // How much one read fetches at most: small enough that what it brings is still in the CPU
  // cache (1 MiB of L2 here) when the frames in it are hashed and then decoded. Measured:
  // pread plus XXH3 of 155 MB of segments took 31-44 ms of CPU with reads of 256 KiB to
  // 2 MiB, 86 ms with 4 MiB and 132 ms with 8 MiB. A unit larger than this (a batch of many
  // frames, all verified before any is decoded) is read twice: the copy from the page cache
  // costs less than decoding from memory the cache has lost.
  static constexpr uint64_t kReadBytes = 1 << 20;
  // The first read after Reset() (a seek, `tail -n 10`) is smaller, as most such reads need
  // one frame; reads double from there while the reader moves forward.
  static constexpr uint64_t kFirstReadBytes = 256 << 10;
  // Spans above this come from a mapping instead (see above).
  static constexpr uint64_t kMaxBufferedSpan = 16 << 20;

  // Forgets what was read: the next segment, or a new file.
  void Reset(const File* file, std::string name);

  // A view of [position, position + length) of the file; position + length <= limit, and
  // limit must not exceed what may be read (the caller's committed end or file size). Valid
  // until the next call. kCorruption if the file ends before `limit` (cut short by someone
  // else; a mapping would have raised SIGBUS), kIOError if it cannot be read.
  Result<std::string_view> Bytes(uint64_t position, uint64_t length, uint64_t limit);

  // Bytes below `position` will not be asked for again: a mapping may drop their pages.
  void DropBefore(uint64_t position);

 private:
  Result<std::string_view> Mapped(uint64_t position, uint64_t length, uint64_t limit);
  Status CutShort(uint64_t size, uint64_t limit) const;  // kCorruption: the file ends at `size`

  const File* file_ = nullptr;
  std::string name_;  // for errors: the segment's file name
  std::string buffer_;
  uint64_t start_ = 0;  // file position of buffer_[0]
  uint64_t held_ = 0;   // valid bytes in buffer_
  uint64_t next_read_ = kFirstReadBytes;
  std::unique_ptr<MappedRegion> map_;
};

}  // namespace eventlog
