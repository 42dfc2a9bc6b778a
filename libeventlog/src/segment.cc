#include "segment.h"

#include <algorithm>

#include <fmt/format.h>

#include "format.h"

namespace eventlog {

std::string SegmentFileName(uint64_t base_offset) {
  return fmt::format("{:020}{}", base_offset, format::kSegmentSuffix);
}

std::string IndexFileName(uint64_t base_offset) {
  return fmt::format("{:020}{}", base_offset, format::kIndexSuffix);
}

bool ParseSegmentFileName(std::string_view name, uint64_t* base_offset) {
  const size_t digits = format::kFileNameDigits;
  if (name.size() != digits + format::kSegmentSuffix.size() || name.substr(digits) != format::kSegmentSuffix) {
    return false;
  }
  uint64_t value = 0;
  for (char c : name.substr(0, digits)) {
    if (c < '0' || c > '9') return false;
    uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) return false;
    value = value * 10 + digit;
  }
  *base_offset = value;
  return true;
}

Result<std::vector<uint64_t>> ListSegments(FileSystem* fs, const std::string& dir) {
  EVLOG_ASSIGN_OR_RETURN(std::vector<std::string> names, fs->ListDir(dir));
  std::vector<uint64_t> bases;
  for (const std::string& name : names) {
    uint64_t base;
    if (ParseSegmentFileName(name, &base)) bases.push_back(base);
  }
  std::sort(bases.begin(), bases.end());
  return bases;
}

Status CreateFileDurably(FileSystem* fs, const std::string& dir, const std::string& name, std::string_view contents) {
  const std::string final_path = dir + "/" + name;
  const std::string temp_path = final_path + std::string(format::kTempSuffix);
  EVLOG_ASSIGN_OR_RETURN(bool stale_temp, fs->Exists(temp_path));
  if (stale_temp) EVLOG_RETURN_IF_ERROR(fs->Remove(temp_path));  // left by a crash mid-creation
  {
    EVLOG_ASSIGN_OR_RETURN(std::unique_ptr<File> file, fs->Open(temp_path, OpenMode::kCreateExclusive));
    EVLOG_RETURN_IF_ERROR(file->Write(0, contents));
    EVLOG_RETURN_IF_ERROR(file->Sync());
  }
  EVLOG_RETURN_IF_ERROR(fs->Rename(temp_path, final_path));
  return fs->SyncDir(dir);
}

Result<std::unique_ptr<File>> OpenSegment(FileSystem* fs, const std::string& dir, uint64_t base_offset,
                                          const LogId& log_id, OpenMode mode, SegmentHeader* header_out) {
  const std::string name = SegmentFileName(base_offset);
  EVLOG_ASSIGN_OR_RETURN(std::unique_ptr<File> file, fs->Open(dir + "/" + name, mode));
  char block[format::kBlockSize];
  EVLOG_ASSIGN_OR_RETURN(size_t n, file->Read(0, block));
  const std::string where = fmt::format("segment {}", name);
  EVLOG_ASSIGN_OR_RETURN(SegmentHeader header, DecodeSegmentHeader(std::string_view(block, n), where));
  if (header.log_id != log_id) {
    return Status::Corruption(where + ": belongs to a different log (log id differs from META)");
  }
  if (header.base_offset != base_offset) {
    return Status::Corruption(fmt::format("{}: header says base offset {}, the file name says {}", where,
                                          header.base_offset, base_offset));
  }
  if (header_out != nullptr) *header_out = header;
  return file;
}

Result<std::unique_ptr<File>> OpenListedSegment(FileSystem* fs, const std::string& dir, uint64_t base_offset,
                                                const LogId& log_id, SegmentHeader* header) {
  auto file = OpenSegment(fs, dir, base_offset, log_id, OpenMode::kReadOnly, header);
  if (file || file.error().code() != StatusCode::kNotFound) return file;
  EVLOG_ASSIGN_OR_RETURN(std::vector<uint64_t> listed, ListSegments(fs, dir));
  if (!std::binary_search(listed.begin(), listed.end(), base_offset)) return file;  // really removed
  return Status::Corruption(fmt::format(
      "segment {}: listed in {} but cannot be opened ({}); a segment of the log is missing or is a dangling "
      "symlink. Run `evlog verify`", SegmentFileName(base_offset), dir, file.error().message()));
}

}  // namespace eventlog
