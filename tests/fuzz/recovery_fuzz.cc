// Opening, reading, verifying and recovering a log whose newest segment holds arbitrary
// bytes (format-spec §6.4, §8), on the in-memory file system: the whole path a writer takes
// after a crash, and the one `verify` takes to predict it.
//
// Input: one flag byte, then the segment file (its header's base offset names the file).
//   bit 0: seal every frame's checksum; bit 1: also chain the frames (seal.h);
//   bit 2: leave the segment header as it is (otherwise it gets the log's id and its checksum);
//   bits 4-5: HEAD is missing; zeros; valid, naming the segment's start (stale); valid,
//   naming the end of the complete batches the segment holds (current);
//   bit 6: with a valid HEAD, its committed end is 8 bytes further than that.
// Properties beyond not crashing, whenever recovery succeeds:
//   - readers saw before it exactly what they see after it (recovery cuts only what no
//     reader was shown);
//   - verify reports no corruption afterwards, and reported none before it;
//   - an append then succeeds and gets the next offset.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "coding.h"
#include "eventlog/log.h"
#include "eventlog/verify.h"
#include "fault_file_system.h"
#include "format.h"
#include "format_blocks.h"
#include "fuzz_check.h"
#include "owned_event.h"
#include "seal.h"
#include "segment.h"
#include "segment_scan.h"

namespace eventlog {
namespace {

// Not a real path: the consumer-group store, which lives on the real disk, is never found.
constexpr const char* kDir = "/evlog-fuzz-nonexistent/log";
constexpr uint64_t kStart = format::segment::kHeaderSize;

std::optional<std::vector<fuzz::OwnedEvent>> ReadAll(const Log& log) {
  auto reader = log.NewReader();
  if (!reader) return std::nullopt;
  std::vector<fuzz::OwnedEvent> out;
  Event e;
  while (true) {
    auto more = (*reader)->Next(&e);
    if (!more) return std::nullopt;
    if (!*more) return out;
    FUZZ_CHECK(out.empty() || e.offset > out.back().offset);
    out.push_back(fuzz::Own(e));
  }
}

std::string MakeHead(uint8_t flags, const std::string& segment, uint64_t base, const LogId& id) {
  const ScanPosition start{kStart, base, kNoTimestamp, 0, base == 0};
  const ScanPosition at = (flags & 0x30) == 0x30 ? ScanBatches(segment, start).end : start;
  HeadRecord head{1, base, at.position, at.next_offset, at.position == kStart ? 0 : at.last_timestamp,
                  at.position == kStart ? 0 : at.last_checksum};
  if (flags & 0x40) head.committed_end += format::frame::kAlignment;
  return EncodeHead(head, id);
}

void CheckRecovery(uint8_t flags, std::string segment) {
  testing::FaultFileSystem fs;
  FUZZ_CHECK(fs.CreateDir(kDir).ok());
  LogMeta meta;
  for (size_t i = 0; i < meta.log_id.size(); ++i) meta.log_id[i] = static_cast<char>(0xA0 + i);
  meta.segment_bytes = 1 << 20;
  meta.max_event_bytes = 1 << 16;
  fs.SetContents(std::string(kDir) + "/META", EncodeMeta(meta));
  const uint64_t base = GetFixed64(segment.data() + format::segment::kBaseOffsetAt);
  if (!(flags & 4)) {
    std::memcpy(segment.data() + format::segment::kLogIdAt, meta.log_id.data(), meta.log_id.size());
    fuzz::SealBlock(segment, 0);
  }
  if (flags & 1) fuzz::SealFrames(segment, kStart, /*chain=*/flags & 2, 0);
  fs.SetContents(std::string(kDir) + "/" + SegmentFileName(base), segment);
  if (flags & 0x30) {
    fs.SetContents(std::string(kDir) + "/HEAD",
                   (flags & 0x30) == 0x10 ? std::string(64, '\0') : MakeHead(flags, segment, base, meta.log_id));
  }

  auto log = Log::Open(kDir, {.fs = &fs});
  if (!log) return;
  const std::optional<std::vector<fuzz::OwnedEvent>> before = ReadAll(**log);
  const Result<VerifyReport> verified = VerifyLog(**log);
  const Status recovered = (*log)->Recover();
  if (!recovered.ok()) return;
  FUZZ_CHECK(!verified || !verified->corrupt());
  const std::optional<std::vector<fuzz::OwnedEvent>> after = ReadAll(**log);
  FUZZ_CHECK(after.has_value());
  if (before) FUZZ_CHECK(*before == *after);
  const Result<VerifyReport> clean = VerifyLog(**log);
  FUZZ_CHECK(clean.has_value() && !clean->corrupt());

  auto info = (*log)->Info();
  FUZZ_CHECK(info.has_value());
  if (info->next_offset >= UINT64_MAX - 1) return;  // the log is full
  Batch batch = (*log)->NewBatch();
  FUZZ_CHECK(batch.Add({.payload = "after recovery"}).ok());
  auto appended = (*log)->Append(batch);
  FUZZ_CHECK(appended.has_value() && appended->first_offset == info->next_offset);
  const std::optional<std::vector<fuzz::OwnedEvent>> last = ReadAll(**log);
  FUZZ_CHECK(last.has_value() && last->size() == after->size() + 1 && last->back().offset == info->next_offset);
}

}  // namespace
}  // namespace eventlog

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  if (size < 1 + eventlog::kStart) return 0;
  eventlog::CheckRecovery(bytes[0], std::string(reinterpret_cast<const char*>(bytes) + 1, size - 1));
  return 0;
}
