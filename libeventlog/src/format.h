// Every on-disk constant of format version 1, in one place. Each block cites the section of
// format-spec/format.md it implements; the static_asserts pin the layouts so that spec and
// code cannot drift silently. All integers are little-endian.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace eventlog::format {

inline constexpr uint32_t kFormatVersion = 1;

// §2 Directory layout.
inline constexpr std::string_view kMetaFileName = "META";
inline constexpr std::string_view kHeadFileName = "HEAD";
inline constexpr std::string_view kLockFileName = "LOCK";
inline constexpr std::string_view kQueueFileName = "QUEUE";
inline constexpr std::string_view kSegmentSuffix = ".seg";
inline constexpr std::string_view kIndexSuffix = ".idx";
inline constexpr std::string_view kTempSuffix = ".tmp";
inline constexpr int kFileNameDigits = 20;  // zero-padded decimal base offset

// Every fixed-size structure below is 64 bytes and ends with an XXH3-64 (seed 0) checksum of
// the 56 bytes before it.
inline constexpr size_t kBlockSize = 64;
inline constexpr size_t kBlockChecksumAt = 56;

// §3 META: the log's identity and limits, written once at creation.
namespace meta {
inline constexpr std::string_view kMagic = "EVLOGMET";
inline constexpr size_t kMagicAt = 0;
inline constexpr size_t kVersionAt = 8;         // u32
inline constexpr size_t kFlagsAt = 12;          // u32, zero in v1
inline constexpr size_t kLogIdAt = 16;          // 16 random bytes
inline constexpr size_t kSegmentBytesAt = 32;   // u64
inline constexpr size_t kMaxEventBytesAt = 40;  // u64
inline constexpr size_t kCreatedAt = 48;        // i64 ns
}  // namespace meta

// §4 Segment header: the first 64 bytes of every NNN.seg file, written once.
namespace segment {
inline constexpr std::string_view kMagic = "EVLOGSEG";
inline constexpr size_t kMagicAt = 0;
inline constexpr size_t kVersionAt = 8;      // u32
inline constexpr size_t kFlagsAt = 12;       // u32, zero in v1
inline constexpr size_t kLogIdAt = 16;       // 16 bytes, equal to META's
inline constexpr size_t kBaseOffsetAt = 32;  // u64, equal to the number in the file name
inline constexpr size_t kCreatedAt = 40;     // i64 ns
// u64, §4.1 and §9.3: 0 = the next segment's first frame chains to this segment's last frame;
// nonzero (written by key compaction, §13.2) = it chains to this value instead.
inline constexpr size_t kChainOutAt = 48;
inline constexpr size_t kHeaderSize = kBlockSize;  // frames start here
}  // namespace segment

// §5 Frame: header, body of event records, zero padding to 8 bytes.
namespace frame {
inline constexpr size_t kAlignment = 8;
inline constexpr size_t kLengthAt = 0;          // u32: header + body bytes, padding excluded
inline constexpr size_t kMagicAt = 4;           // u16
inline constexpr size_t kVersionAt = 6;         // u8
inline constexpr size_t kKindAt = 7;            // u8
inline constexpr size_t kBaseOffsetAt = 8;      // u64
inline constexpr size_t kEventCountAt = 16;     // u32
inline constexpr size_t kLastDeltaAt = 20;      // u32: last event's offset - base offset
inline constexpr size_t kFirstTimeAt = 24;      // i64 ns
inline constexpr size_t kLastTimeAt = 32;       // i64 ns, the largest timestamp in the frame
inline constexpr size_t kFlagsAt = 40;          // u32, zero in v1
inline constexpr size_t kReservedAt = 44;       // u32, zero
inline constexpr size_t kPrevChecksumAt = 48;   // u64: checksum of the previous frame
inline constexpr size_t kChecksumAt = 56;       // u64: XXH3-64 of header[0,56) ++ body
inline constexpr size_t kHeaderSize = 64;

inline constexpr uint16_t kMagic = 0xE7B1;
inline constexpr uint8_t kVersion = 1;

// Kinds. A batch is one kFull frame, or kFirst, kMiddle..., kLast written contiguously.
// A kind with kSkippableBit set is reserved for future records that a v1 reader verifies
// (checksum) and then skips; any other unknown kind is corruption.
inline constexpr uint8_t kFull = 1;
inline constexpr uint8_t kFirst = 2;
inline constexpr uint8_t kMiddle = 3;
inline constexpr uint8_t kLast = 4;
inline constexpr uint8_t kSkippableBit = 0x80;
}  // namespace frame

// §6 HEAD: the committed end, rewritten (never synced) after each commit. A hint: it is
// never ahead of what is durable, and recovery re-derives it when it is missing or stale.
namespace head {
inline constexpr std::string_view kMagic = "EVLOGHED";
inline constexpr size_t kMagicAt = 0;
inline constexpr size_t kSequenceAt = 8;        // u64, +1 per publish
inline constexpr size_t kSegmentBaseAt = 16;    // u64: base offset of the active segment
inline constexpr size_t kCommittedEndAt = 24;   // u64: byte position in the active segment
inline constexpr size_t kNextOffsetAt = 32;     // u64
inline constexpr size_t kLastTimeAt = 40;       // i64 ns: timestamp of the newest event
inline constexpr size_t kLastChecksumAt = 48;   // u64: checksum of the newest frame
}  // namespace head

// §7 Sparse index NNN.idx: a rebuildable cache, validated on every use.
namespace index {
inline constexpr std::string_view kMagic = "EVLOGIDX";
inline constexpr size_t kMagicAt = 0;
inline constexpr size_t kVersionAt = 8;       // u32
inline constexpr size_t kEntrySizeAt = 12;    // u32 = kEntrySize
inline constexpr size_t kLogIdAt = 16;        // 16 bytes
inline constexpr size_t kBaseOffsetAt = 32;   // u64
inline constexpr size_t kIntervalAt = 40;     // u64 = kIntervalBytes
inline constexpr size_t kReservedAt = 48;     // u64, zero
inline constexpr size_t kHeaderSize = kBlockSize;

inline constexpr size_t kEntrySize = 16;
inline constexpr size_t kEntryRelOffsetAt = 0;  // u32: frame base offset - segment base
inline constexpr size_t kEntryPositionAt = 4;   // u32: frame position in the segment
inline constexpr size_t kEntryTimeAt = 8;       // i64: frame first timestamp
// A frame gets an entry iff it covers a byte position that is a multiple of this.
inline constexpr uint64_t kIntervalBytes = 4096;
}  // namespace index

// §6.8 QUEUE: shared memory of the appending processes, never durable, never read by
// readers. A header, then kSlotCount slots; slot i belongs to the process holding the byte
// lock on byte i of the file, which holds byte kSlotCount + i while the slot is offered.
namespace queue {
inline constexpr std::string_view kMagic = "EVLOGQUE";
inline constexpr size_t kMagicAt = 0;
inline constexpr size_t kVersionAt = 8;      // u32 = 1
inline constexpr size_t kSlotCountAt = 12;   // u32 = kSlotCount
inline constexpr size_t kSlotBytesAt = 16;   // u32 = kSlotBytes
inline constexpr size_t kLogIdAt = 24;       // 16 bytes
inline constexpr size_t kFixedHeaderBytes = 40;  // the fields above: what identifies the queue
inline constexpr size_t kReleasesAt = 64;    // u32, accessed atomically: LOCK releases announced
inline constexpr size_t kReadyMaskAt = 72;   // u64, accessed atomically: bit i set when slot i may be READY
inline constexpr uint64_t kInitLockByte = 128;  // locked while the header is written or checked
inline constexpr size_t kHeaderSize = 4096;
inline constexpr uint32_t kVersion = 1;
inline constexpr uint32_t kSlotCount = 64;
inline constexpr uint32_t kSlotBytes = 16384;

// A slot.
inline constexpr size_t kStateAt = 0;          // u32, accessed atomically: FREE 0, READY 1, CLAIMED 2, DONE 3
inline constexpr size_t kBatchCountAt = 4;     // u32, at most kMaxBatches
inline constexpr size_t kPayloadBytesAt = 8;   // u32, at most kMaxPayload
inline constexpr size_t kHolderPidAt = 12;     // u32: the process that claimed the slot
inline constexpr size_t kMessageAt = 64;       // failure message, NUL-padded
inline constexpr size_t kMessageBytes = 512;
inline constexpr size_t kResultsAt = 576;      // kMaxBatches results
inline constexpr size_t kResultBytes = 40;
inline constexpr size_t kPayloadAt = 2048;
inline constexpr size_t kMaxBatches = 32;
inline constexpr size_t kMaxPayload = kSlotBytes - kPayloadAt;

// A result: code u32 (a StatusCode), placed u32 (1: the placement below is recorded),
// first_offset u64, then the placement of the batch's last frame: segment_base u64,
// position u64, checksum u64.
inline constexpr size_t kResultCodeAt = 0;
inline constexpr size_t kResultPlacedAt = 4;
inline constexpr size_t kResultFirstOffsetAt = 8;
inline constexpr size_t kResultSegmentAt = 16;
inline constexpr size_t kResultPositionAt = 24;
inline constexpr size_t kResultChecksumAt = 32;
}  // namespace queue

static_assert(queue::kResultsAt + queue::kMaxBatches * queue::kResultBytes <= queue::kPayloadAt);
static_assert(queue::kMessageAt + queue::kMessageBytes <= queue::kResultsAt);
static_assert(2 * queue::kSlotCount <= queue::kInitLockByte);  // the lock bytes lie in the header

static_assert(meta::kCreatedAt + 8 == kBlockChecksumAt);
static_assert(segment::kChainOutAt + 8 == kBlockChecksumAt);
static_assert(head::kLastChecksumAt + 8 == kBlockChecksumAt);
static_assert(index::kReservedAt + 8 == kBlockChecksumAt);
static_assert(frame::kChecksumAt + 8 == frame::kHeaderSize);
static_assert(frame::kHeaderSize % frame::kAlignment == 0);
static_assert(segment::kHeaderSize % frame::kAlignment == 0);
static_assert(index::kEntryTimeAt + 8 == index::kEntrySize);

// §12 Archive (evlog export --format archive): a stream, not part of a log directory.
// Header, event entries, group entries, trailer; the trailer's checksum covers every byte
// before it.
namespace archive {
inline constexpr std::string_view kMagic = "EVLOGARC";
inline constexpr uint32_t kVersion = 1;
inline constexpr size_t kMagicAt = 0;
inline constexpr size_t kVersionAt = 8;          // u32
inline constexpr size_t kFlagsAt = 12;           // u32, zero in v1
inline constexpr size_t kLogIdAt = 16;           // 16 bytes: META log_id of the source
inline constexpr size_t kFromOffsetAt = 32;      // u64: first offset of the range
inline constexpr size_t kEndOffsetAt = 40;       // u64: offset after the range
inline constexpr size_t kEventCountAt = 48;      // u64
inline constexpr size_t kCreatedAt = 56;         // i64 ns: when the archive was written
inline constexpr size_t kSegmentBytesAt = 64;    // u64: the source's META segment_bytes
inline constexpr size_t kMaxEventBytesAt = 72;   // u64: the source's META max_event_bytes
inline constexpr size_t kReservedAt = 80;        // u64, zero
inline constexpr size_t kHeaderChecksumAt = 88;  // u64: XXH3-64 of header[0, 88)
inline constexpr size_t kHeaderSize = 96;

inline constexpr size_t kEntryFixedBytes = 16;   // offset u64 + timestamp i64 after the length
inline constexpr size_t kGroupFixedBytes = 16;   // position u64 + updated_ns i64 after the name
inline constexpr size_t kMaxGroupName = 255;

inline constexpr std::string_view kTrailerMagic = "EVLOGEND";
inline constexpr size_t kTrailerChecksumAt = 8;  // u64: XXH3-64 of every byte before it
inline constexpr size_t kTrailerSize = 16;
}  // namespace archive

static_assert(archive::kReservedAt + 8 == archive::kHeaderChecksumAt);
static_assert(archive::kHeaderChecksumAt + 8 == archive::kHeaderSize);
static_assert(archive::kTrailerChecksumAt + 8 == archive::kTrailerSize);

inline constexpr uint64_t AlignUp(uint64_t n) {
  return (n + frame::kAlignment - 1) & ~uint64_t{frame::kAlignment - 1};
}

}  // namespace eventlog::format
