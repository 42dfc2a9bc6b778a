// Writing an archive (format-spec §12) as one pass over the events: every byte is hashed
// as it is emitted, so the trailer's checksum costs no second pass and no seek, and the
// archive can go to a pipe.
#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "archive_codec.h"
#include "coding.h"
#include "format.h"
#include "hash.h"

namespace eventlog {

namespace a = format::archive;

namespace {
// Bytes collected before they are handed to the sink.
constexpr size_t kFlushBytes = 256 << 10;
}  // namespace

class ArchiveWriter::Impl {
 public:
  explicit Impl(ArchiveSink sink) : sink_(std::move(sink)) {}

  Status Begin(const ArchiveInfo& info) {
    if (begun_) return Status::InvalidArgument("archive writer: Begin called twice");
    EVLOG_RETURN_IF_ERROR(ValidateArchiveInfo(info).WithContext("archive header"));
    info_ = info;
    begun_ = true;
    return Emit(EncodeArchiveHeader(info));
  }

  Status Add(const Event& e) {
    if (!begun_ || finished_) return Status::InvalidArgument("archive writer: Add outside Begin..Finish");
    if (written_ == info_.event_count) {
      return Status::InvalidArgument(fmt::format("archive: more than the {} events announced", info_.event_count));
    }
    if (e.offset < info_.from_offset || e.offset >= info_.end_offset || (written_ > 0 && e.offset <= last_offset_)) {
      return Status::InvalidArgument(fmt::format("archive: offset {} is out of order or outside {}..{} (exclusive)",
                                                 e.offset, info_.from_offset, info_.end_offset));
    }
    if (written_ > 0 && e.timestamp_ns < last_timestamp_) {
      return Status::InvalidArgument(fmt::format("archive: timestamp of offset {} goes backwards", e.offset));
    }
    last_offset_ = e.offset;
    last_timestamp_ = e.timestamp_ns;
    ++written_;
    entry_.clear();
    AppendArchiveEntry(&entry_, e);
    return Emit(entry_);
  }

  Status Finish(std::span<const GroupInfo> groups) {
    if (!begun_ || finished_) return Status::InvalidArgument("archive writer: Finish outside Begin..Finish");
    if (written_ != info_.event_count) {
      return Status::InvalidArgument(fmt::format(
          "archive: {} events written but {} announced (the log changed during the export?)", written_,
          info_.event_count));
    }
    std::vector<GroupInfo> sorted(groups.begin(), groups.end());
    std::sort(sorted.begin(), sorted.end(), [](const GroupInfo& x, const GroupInfo& y) { return x.name < y.name; });
    std::string out(4, '\0');
    PutFixed32(out.data(), static_cast<uint32_t>(sorted.size()));
    for (const GroupInfo& g : sorted) {
      if (g.name.empty() || g.name.size() > a::kMaxGroupName) {
        return Status::InvalidArgument(fmt::format("archive: group name of {} bytes", g.name.size()));
      }
      out.push_back(static_cast<char>(g.name.size()));
      out.append(g.name);
      char fixed[a::kGroupFixedBytes];
      // Where the group stands relative to the exported events (format-spec §12.4).
      PutFixed64(fixed, std::clamp(g.position, info_.from_offset, info_.end_offset));
      PutFixed64(fixed + 8, static_cast<uint64_t>(g.updated_ns));
      out.append(fixed, sizeof(fixed));
    }
    out.append(a::kTrailerMagic);
    EVLOG_RETURN_IF_ERROR(Emit(out));
    char checksum[8];
    PutFixed64(checksum, sum_.Digest());
    buffer_.append(checksum, sizeof(checksum));  // not hashed: it is the hash
    finished_ = true;
    return Flush();
  }

 private:
  Status Emit(std::string_view bytes) {
    sum_.Update(bytes);
    buffer_.append(bytes);
    return buffer_.size() >= kFlushBytes ? Flush() : Status::Ok();
  }

  Status Flush() {
    if (buffer_.empty()) return Status::Ok();
    Status s = sink_(buffer_);
    buffer_.clear();
    return s;
  }

  ArchiveSink sink_;
  ArchiveInfo info_;
  StreamingChecksum sum_;
  std::string buffer_;
  std::string entry_;  // reused: one allocation for the whole export
  bool begun_ = false;
  bool finished_ = false;
  uint64_t written_ = 0;
  uint64_t last_offset_ = 0;
  int64_t last_timestamp_ = 0;
};

ArchiveWriter::ArchiveWriter(ArchiveSink sink) : impl_(std::make_unique<Impl>(std::move(sink))) {}
ArchiveWriter::~ArchiveWriter() = default;
Status ArchiveWriter::Begin(const ArchiveInfo& info) { return impl_->Begin(info); }
Status ArchiveWriter::Add(const Event& event) { return impl_->Add(event); }
Status ArchiveWriter::Finish(std::span<const GroupInfo> groups) { return impl_->Finish(groups); }

}  // namespace eventlog
