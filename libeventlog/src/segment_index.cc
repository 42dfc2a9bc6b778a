#include "segment_index.h"

#include "coding.h"
#include "format.h"
#include "frame.h"
#include "segment.h"
#include "eventlog/log.h"

namespace eventlog {

namespace x = format::index;

bool FrameNeedsIndexEntry(uint64_t position, uint64_t aligned_length) {
  uint64_t next_boundary = (position + x::kIntervalBytes - 1) / x::kIntervalBytes * x::kIntervalBytes;
  return next_boundary < position + aligned_length;
}

namespace {

std::string EncodeEntries(uint64_t base, std::span<const IndexEntry> entries) {
  std::string out(entries.size() * x::kEntrySize, '\0');
  char* p = out.data();
  for (const IndexEntry& e : entries) {
    PutFixed32(p + x::kEntryRelOffsetAt, static_cast<uint32_t>(e.offset - base));
    PutFixed32(p + x::kEntryPositionAt, static_cast<uint32_t>(e.position));
    PutFixed64(p + x::kEntryTimeAt, static_cast<uint64_t>(e.timestamp));
    p += x::kEntrySize;
  }
  return out;
}

std::string IndexPath(const std::string& dir, uint64_t base) { return dir + "/" + IndexFileName(base); }

}  // namespace

std::vector<IndexEntry> ReadIndex(FileSystem* fs, const std::string& dir, uint64_t base, const LogId& log_id) {
  std::vector<IndexEntry> entries;
  auto file = fs->Open(IndexPath(dir, base), OpenMode::kReadOnly);
  if (!file) return entries;
  auto size = (*file)->Size();
  // An index never needs more than one entry per interval of the largest segment; a bigger
  // file is damaged, and must not make us allocate whatever size it claims.
  const uint64_t max_size = x::kHeaderSize + x::kEntrySize * (LogLimits::kMaxSegmentBytes / x::kIntervalBytes + 1);
  if (!size || *size < x::kHeaderSize || *size > max_size) return entries;
  std::string data(*size, '\0');
  auto n = (*file)->Read(0, data);
  if (!n) return entries;
  data.resize(*n);
  auto header = DecodeIndexHeader(data, IndexFileName(base));
  if (!header || header->log_id != log_id || header->base_offset != base) return entries;
  for (size_t at = x::kHeaderSize; at + x::kEntrySize <= data.size(); at += x::kEntrySize) {
    const char* p = data.data() + at;
    IndexEntry e{base + GetFixed32(p + x::kEntryRelOffsetAt), GetFixed32(p + x::kEntryPositionAt),
                 static_cast<int64_t>(GetFixed64(p + x::kEntryTimeAt))};
    // Readers binary-search the entries by offset and by time: an entry out of order in
    // either would steer the search past the target, and validating the entry it lands on
    // cannot tell (that entry itself may be intact).
    if (!entries.empty() && (e.offset <= entries.back().offset || e.position <= entries.back().position ||
                             e.timestamp < entries.back().timestamp)) {
      break;
    }
    entries.push_back(e);
  }
  return entries;
}

Status AppendIndexEntries(FileSystem* fs, const std::string& dir, uint64_t base, const LogId& log_id,
                          std::span<const IndexEntry> entries) {
  if (entries.empty()) return Status::Ok();
  EVLOG_ASSIGN_OR_RETURN(std::unique_ptr<File> file, fs->Open(IndexPath(dir, base), OpenMode::kCreateOrOpen));
  EVLOG_ASSIGN_OR_RETURN(uint64_t size, file->Size());
  if (size < x::kHeaderSize) {
    EVLOG_RETURN_IF_ERROR(file->Write(0, EncodeIndexHeader({log_id, base})));
    size = x::kHeaderSize;
  }
  // A crash may have left half an entry: the next one starts at the last whole boundary.
  uint64_t at = x::kHeaderSize + (size - x::kHeaderSize) / x::kEntrySize * x::kEntrySize;
  return file->Write(at, EncodeEntries(base, entries));
}

Status RebuildIndex(FileSystem* fs, const std::string& dir, uint64_t base, const LogId& log_id,
                    std::string_view segment_data, uint64_t end) {
  std::vector<IndexEntry> entries;
  uint64_t pos = format::segment::kHeaderSize;
  while (pos < end) {
    FrameHeader h;
    std::string why;
    if (ParseFrame(segment_data.substr(0, end), pos, /*check_body=*/false, &h, &why) != FrameParse::kOk) break;
    if (h.has_events() && FrameNeedsIndexEntry(pos, h.aligned_length())) {
      entries.push_back({h.base_offset, pos, h.first_timestamp});
    }
    pos += h.aligned_length();
  }
  std::string contents = EncodeIndexHeader({log_id, base}) + EncodeEntries(base, entries);
  const std::string path = IndexPath(dir, base);
  const std::string temp = path + std::string(format::kTempSuffix);
  {
    EVLOG_ASSIGN_OR_RETURN(std::unique_ptr<File> file, fs->Open(temp, OpenMode::kCreateOrOpen));
    EVLOG_RETURN_IF_ERROR(file->Truncate(0));
    EVLOG_RETURN_IF_ERROR(file->Write(0, contents));
  }
  return fs->Rename(temp, path);  // a cache: no sync needed, a lost rename is rebuilt again
}

}  // namespace eventlog
