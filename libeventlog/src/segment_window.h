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
// Each byte is copied from the page cache once. A span that runs past the end of what was
// read (a frame cut by the end of the last read) keeps the part already read: it is moved
// to the front of the buffer, and the next read continues the file where the last one
// stopped. Reading again from the span's start, as this did before, copied every byte of a
// log of 256 KiB frames twice.
//
// The buffer is page-aligned, and every read lands at the buffer address congruent to its
// file position modulo the page size, so that the kernel's copy moves whole pages onto
// whole pages. Measured on this VM (AMD EPYC), a 1 MiB pread into an address 1 to 31 bytes
// past that congruence took 4.5 times as long (59 ms against 13 ms for 150 MB); malloc's
// large blocks start 16 bytes into a page, so a plain std::string buffer often fell there.
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
  // Reads start at a multiple of this below the position asked for (see above).
  static constexpr uint64_t kPageBytes = 4096;

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

  struct AlignedFree {
    void operator()(char* p) const;
  };
  // Makes room for `bytes` from buffer_[0], keeping the first `keep` bytes.
  void Reserve(uint64_t bytes, uint64_t keep);

  const File* file_ = nullptr;
  std::string name_;  // for errors: the segment's file name
  std::unique_ptr<char, AlignedFree> buffer_;  // kPageBytes-aligned, capacity_ bytes
  uint64_t capacity_ = 0;
  uint64_t start_ = 0;  // file position of buffer_[0], a multiple of kPageBytes
  uint64_t held_ = 0;   // valid bytes in buffer_
  uint64_t next_read_ = kFirstReadBytes;
  std::unique_ptr<MappedRegion> map_;
};

}  // namespace eventlog
