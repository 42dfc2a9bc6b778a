#include "head.h"

#include "format.h"

namespace eventlog {

Result<std::optional<HeadRecord>> ReadHead(const File& head_file) {
  // A few attempts cover a read racing the writer's single 64-byte pwrite; a HEAD that
  // still does not verify is damaged, not busy.
  constexpr int kAttempts = 8;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    char block[format::kBlockSize];
    EVLOG_ASSIGN_OR_RETURN(size_t n, head_file.Read(0, block));
    HeadRecord head;
    if (n == format::kBlockSize && DecodeHead(std::string_view(block, n), &head)) return std::optional(head);
  }
  return std::optional<HeadRecord>();
}

Status WriteHead(File& head_file, const HeadRecord& head) { return head_file.Write(0, EncodeHead(head)); }

}  // namespace eventlog
