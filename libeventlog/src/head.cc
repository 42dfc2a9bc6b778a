#include "head.h"

#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "format.h"
#include "segment.h"

namespace eventlog {

Result<std::optional<HeadRecord>> ReadHead(const File& head_file, const LogMeta& meta) {
  // A few attempts cover a read racing the writer's single 64-byte pwrite; a HEAD that
  // still does not verify is damaged, not busy.
  constexpr int kAttempts = 8;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    // Spread the attempts over a few milliseconds (format-spec §6.4): a writer's rewrite
    // is one 64-byte pwrite, so a second look a little later sees it whole.
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::microseconds(25 << attempt));
    char block[format::kBlockSize];
    EVLOG_ASSIGN_OR_RETURN(size_t n, head_file.Read(0, block));
    HeadRecord head;
    if (n == format::kBlockSize && DecodeHead(std::string_view(block, n), meta.log_id, &head)) {
      // A checksum-valid HEAD with an impossible committed end is damage, not a torn
      // rewrite: reading it again will not help.
      const bool plausible = head.committed_end % format::frame::kAlignment == 0 &&
                             head.committed_end >= format::segment::kHeaderSize && head.committed_end <= meta.segment_bytes;
      if (!plausible) return std::optional<HeadRecord>();
      return std::optional(head);
    }
  }
  return std::optional<HeadRecord>();
}

Status WriteHead(File& head_file, const HeadRecord& head, const LogMeta& meta) {
  return head_file.Write(0, EncodeHead(head, meta.log_id));
}

Status CheckHeadReadsBack(FileSystem* fs, const std::string& path, const LogMeta& meta, const HeadRecord& published) {
  EVLOG_ASSIGN_OR_RETURN(auto file, fs->Open(path, OpenMode::kReadOnly));
  EVLOG_ASSIGN_OR_RETURN(std::optional<HeadRecord> head, ReadHead(*file, meta));
  if (head && EncodeHead(*head, meta.log_id) == EncodeHead(published, meta.log_id)) return Status::Ok();
  return Status::Corruption(fmt::format(
      "{}: {} after the writer published it (sequence {}, committed end {} in segment {}): readers cannot find the "
      "committed end; nothing was changed. Check that HEAD is a regular file of the log, then run `evlog verify`",
      path, head ? "says something else" : "does not read back", published.sequence, published.committed_end,
      SegmentFileName(published.segment_base)));
}

}  // namespace eventlog
