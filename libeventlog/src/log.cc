// Opening and creating a log (format-spec §2, §3), and the group-commit front of Append.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <random>

#include <fmt/format.h>

#include "batch_impl.h"
#include "format.h"
#include "head.h"
#include "log_impl.h"
#include "log_writer.h"
#include "reader_impl.h"
#include "segment.h"
#include "segment_scan.h"

namespace eventlog {

static_assert(kLogFormatVersion == format::kFormatVersion);

namespace {

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}


Result<LogMeta> NewMeta(const LogLimits& limits) {
  if (limits.segment_bytes < LogLimits::kMinSegmentBytes || limits.segment_bytes > LogLimits::kMaxSegmentBytes) {
    return Status::InvalidArgument(fmt::format("segment size {} is out of range: it must be between {} and {} bytes",
                                               limits.segment_bytes, LogLimits::kMinSegmentBytes,
                                               LogLimits::kMaxSegmentBytes));
  }
  LogMeta meta;
  const uint64_t cap = LogLimits::MaxEventBytesFor(limits.segment_bytes);
  meta.max_event_bytes = limits.max_event_bytes == 0 ? std::min(LogLimits::kDefaultMaxEventBytes, cap)
                                                     : limits.max_event_bytes;
  if (meta.max_event_bytes > cap || meta.max_event_bytes < 1) {
    return Status::InvalidArgument(fmt::format(
        "maximum event size {} does not fit the segment size {}: it must be between 1 and {} bytes",
        meta.max_event_bytes, limits.segment_bytes, cap));
  }
  meta.segment_bytes = limits.segment_bytes;
  meta.created_ns = NowNs();
  std::random_device random;
  for (size_t i = 0; i < meta.log_id.size(); i += 4) {
    uint32_t r = random();
    std::memcpy(meta.log_id.data() + i, &r, 4);
  }
  return meta;
}

std::string ParentDir(const std::string& dir) {
  size_t slash = dir.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : dir.substr(0, slash);
}

// A log is created only in a directory holding nothing but what an interrupted creation
// leaves before META is in place (LOCK, temporary files): recovery completes such a log,
// so it counts as empty. A directory with segments or HEAD but no META is a log whose META
// was lost: creating one there would replace its first segment and every event in it.
// Anything else is not a log (a typo such as `.`), and evlog writes nothing into it. A
// missing directory is fine. Only reads: callers run it before writing anything (LOCK
// included) and again under the lock, where a concurrent creator may have got in between.
Status CheckEmptyForCreation(FileSystem* fs, const std::string& dir) {
  EVLOG_ASSIGN_OR_RETURN(bool dir_exists, fs->Exists(dir));
  if (!dir_exists) return Status::Ok();
  EVLOG_ASSIGN_OR_RETURN(std::vector<std::string> names, fs->ListDir(dir));
  std::sort(names.begin(), names.end());  // the same name in every message
  std::string found;
  for (const std::string& name : names) {
    uint64_t base;
    if (ParseSegmentFileName(name, &base) || name == format::kHeadFileName) {
      return Status::Corruption(fmt::format(
          "{}: holds {} but no META file: this log's META was lost, and creating a new log here would destroy its "
          "events; nothing was written. Restore META from a backup (it is the same for every copy of this log)",
          dir, name));
    }
    if (name != format::kLockFileName && !name.ends_with(format::kTempSuffix) && found.empty()) found = name;
  }
  if (!found.empty()) {
    return Status::InvalidArgument(fmt::format(
        "{} exists and is not an evlog log (it holds {} {}, e.g. '{}'); nothing was written into it. Create logs in "
        "a new or empty directory",
        dir, names.size(), names.size() == 1 ? "entry" : "entries", found));
  }
  return Status::Ok();
}

// Creates the directory, META, the first segment and HEAD, each durably. Concurrent
// creators are serialised by the lock file; the loser finds META and just opens.
Status CreateLog(FileSystem* fs, const std::string& dir, const LogLimits& limits, uint64_t first_offset) {
  if (first_offset > UINT64_MAX - 1) {
    return Status::InvalidArgument(fmt::format("first offset {} is beyond the largest usable offset", first_offset));
  }
  EVLOG_ASSIGN_OR_RETURN(LogMeta meta, NewMeta(limits));  // bad limits: refuse before creating anything
  EVLOG_RETURN_IF_ERROR(fs->CreateDir(dir));
  EVLOG_RETURN_IF_ERROR(fs->SyncDir(ParentDir(dir)));
  EVLOG_ASSIGN_OR_RETURN(auto lock, fs->Lock(dir + "/" + std::string(format::kLockFileName)));
  EVLOG_ASSIGN_OR_RETURN(bool exists, fs->Exists(dir + "/" + std::string(format::kMetaFileName)));
  if (exists) return Status::Ok();
  EVLOG_RETURN_IF_ERROR(CheckEmptyForCreation(fs, dir));
  // META first (format-spec §2): a crash after it leaves a log that the next writer
  // completes (recovery creates the missing first segment and HEAD).
  EVLOG_RETURN_IF_ERROR(CreateFileDurably(fs, dir, std::string(format::kMetaFileName), EncodeMeta(meta)));
  EVLOG_RETURN_IF_ERROR(CreateFileDurably(fs, dir, SegmentFileName(first_offset),
                                          EncodeSegmentHeader({meta.log_id, first_offset, meta.created_ns})));
  HeadRecord head{0, first_offset, format::segment::kHeaderSize, first_offset, 0, 0};
  return CreateFileDurably(fs, dir, std::string(format::kHeadFileName), EncodeHead(head, meta.log_id));
}

Result<LogMeta> ReadMeta(FileSystem* fs, const std::string& dir) {
  const std::string path = dir + "/" + std::string(format::kMetaFileName);
  EVLOG_ASSIGN_OR_RETURN(auto file, fs->Open(path, OpenMode::kReadOnly));
  // The checks in the order of format-spec §3: size, magic, checksum (corruption), version and
  // flags (unsupported), limits (corruption; they mean something only in version 1).
  EVLOG_ASSIGN_OR_RETURN(uint64_t size, file->Size());
  if (size != format::kBlockSize) {
    return Status::Corruption(fmt::format("{}: log metadata is {} bytes, expected {}", path, size, format::kBlockSize));
  }
  char block[format::kBlockSize];
  EVLOG_ASSIGN_OR_RETURN(size_t n, file->Read(0, block));
  EVLOG_ASSIGN_OR_RETURN(LogMeta meta, DecodeMeta(std::string_view(block, n), path));
  if (meta.segment_bytes < LogLimits::kMinSegmentBytes || meta.segment_bytes > LogLimits::kMaxSegmentBytes ||
      meta.max_event_bytes < 1 || meta.max_event_bytes > LogLimits::MaxEventBytesFor(meta.segment_bytes)) {
    return Status::Corruption(path + ": segment or event size limits out of range");
  }
  return meta;
}

// A directory with segment files or HEAD but no META is a log whose META was lost
// (format-spec §10.2: a missing META is corruption), not a directory to create a log in:
// a new log would start a new segment 0 over the old one.
Status CheckNoLogWithoutMeta(FileSystem* fs, const std::string& dir) {
  EVLOG_ASSIGN_OR_RETURN(bool dir_exists, fs->Exists(dir));
  if (!dir_exists) return Status::Ok();
  EVLOG_ASSIGN_OR_RETURN(std::vector<uint64_t> segments, ListSegments(fs, dir));
  EVLOG_ASSIGN_OR_RETURN(bool head, fs->Exists(dir + "/" + std::string(format::kHeadFileName)));
  if (segments.empty() && !head) return Status::Ok();
  // A concurrent creator writes META first, then the segment and HEAD (CreateLog): what was
  // listed here after the caller found no META may be its log, complete by now. Only files
  // that are still without a META are a lost log's.
  EVLOG_ASSIGN_OR_RETURN(bool meta_now, fs->Exists(dir + "/" + std::string(format::kMetaFileName)));
  if (meta_now) return Status::Ok();
  return Status::Corruption(fmt::format(
      "{}: META is missing, but the directory holds {}: the log's identity and limits are lost. Nothing was "
      "changed; restore META from a backup of this log", dir, segments.empty() ? std::string("HEAD") : SegmentFileName(segments.front())));
}

// Compaction leaves gaps in the offsets (format-spec §4.3, §13), so the events stored are
// counted from the frame headers, up to the committed end.
Result<uint64_t> CountStoredEvents(Log::Impl& log) {
  EVLOG_ASSIGN_OR_RETURN(HeadRecord head, log.CommittedHead());
  EVLOG_ASSIGN_OR_RETURN(std::vector<uint64_t> segments, ListSegments(log.fs(), log.dir()));
  uint64_t events = 0;
  for (uint64_t base : segments) {
    if (base > head.segment_base) break;  // a roll not yet published
    auto file = OpenListedSegment(log.fs(), log.dir(), base, log.meta().log_id);
    if (!file && file.error().code() == StatusCode::kNotFound) continue;  // removed by compaction meanwhile
    if (!file) return file.error();
    EVLOG_ASSIGN_OR_RETURN(uint64_t size, (*file)->Size());
    const uint64_t limit = base == head.segment_base ? std::min(size, head.committed_end) : size;
    EVLOG_ASSIGN_OR_RETURN(auto map, (*file)->Map(limit));
    std::optional<uint64_t> n = CountEventsInFrames(map->bytes(), limit);
    if (!n) {
      return Status::Corruption(fmt::format("segment {}: frames do not tile the segment; run `evlog verify`",
                                            SegmentFileName(base)));
    }
    events += *n;
  }
  return events;
}

}  // namespace

uint64_t LogLimits::MaxEventBytesFor(uint64_t segment_bytes) {
  return (segment_bytes & ~uint64_t{format::frame::kAlignment - 1}) - format::segment::kHeaderSize -
         format::frame::kHeaderSize;
}

Result<std::unique_ptr<Log>> Log::Open(const std::string& dir, const LogOptions& options) {
  FileSystem* fs = options.fs ? options.fs : PosixFileSystem();
  // META is the log's publication point (CreateLog renames it into place first): each check
  // below that finds no log looks for it again, as another process may be creating this log.
  auto meta_exists = [&] { return fs->Exists(dir + "/" + std::string(format::kMetaFileName)); };
  EVLOG_ASSIGN_OR_RETURN(bool exists, meta_exists());
  if (!exists) {
    EVLOG_RETURN_IF_ERROR(CheckNoLogWithoutMeta(fs, dir));
    EVLOG_ASSIGN_OR_RETURN(exists, meta_exists());
  }
  if (!exists && !options.create_if_missing) {
    EVLOG_ASSIGN_OR_RETURN(bool dir_exists, fs->Exists(dir));
    return Status::NotFound(dir_exists ? fmt::format("{}: not an evlog log (no META file)", dir)
                                       : fmt::format("{}: no such log", dir));
  }
  if (!exists) {
    Status creatable = CheckEmptyForCreation(fs, dir);
    if (!creatable.ok()) {
      EVLOG_ASSIGN_OR_RETURN(bool created_meanwhile, meta_exists());
      if (!created_meanwhile) return creatable;
    }
    // Under the lock, CreateLog finds META if another creator got there first, and just returns.
    EVLOG_RETURN_IF_ERROR(CreateLog(fs, dir, options.limits, options.first_offset));
  }
  EVLOG_ASSIGN_OR_RETURN(LogMeta meta, ReadMeta(fs, dir));
  auto head_file = fs->Open(dir + "/" + std::string(format::kHeadFileName), OpenMode::kReadOnly);
  std::unique_ptr<File> head;
  if (head_file) {
    head = std::move(head_file).value();
  } else if (head_file.error().code() != StatusCode::kNotFound) {
    return head_file.error();
  }
  // A missing HEAD (lost in a crash during creation) is not recreated here: opening is
  // reading, and readers never write (format-spec §8.6). The first append recreates it.
  auto impl = std::make_unique<Impl>(fs, dir, meta, std::move(head), options);
  return std::unique_ptr<Log>(new Log(std::move(impl)));
}

Status Log::CheckCreatable(const std::string& dir, FileSystem* fs) {
  if (!fs) fs = PosixFileSystem();
  EVLOG_RETURN_IF_ERROR(CheckNoLogWithoutMeta(fs, dir));  // as Open says it
  return CheckEmptyForCreation(fs, dir);
}

Log::Log(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Log::~Log() = default;

Batch Log::NewBatch() const {
  return Batch(impl_->meta().max_event_bytes, impl_->max_batch_bytes(), impl_->dir());
}

Result<AppendResult> Log::Append(const Batch& batch, const AppendOptions& options) {
  return impl_->Append(batch, options);
}

Result<std::unique_ptr<AtomicAppend>> Log::BeginAtomicAppend(const AppendOptions& options) {
  return impl_->BeginAtomicAppend(options);
}

Status Log::Recover() { return impl_->Recover(); }

Result<std::unique_ptr<Reader>> Log::NewReader() const { return NewReaderImpl(impl_.get()); }

Result<LogInfo> Log::Info() const {
  EVLOG_ASSIGN_OR_RETURN(HeadRecord head, impl_->CommittedHead());
  EVLOG_ASSIGN_OR_RETURN(std::vector<uint64_t> segments, ListSegments(impl_->fs(), impl_->dir()));
  LogInfo info;
  info.first_offset = segments.empty() ? head.next_offset : std::min(segments.front(), head.next_offset);
  info.next_offset = head.next_offset;
  info.last_timestamp_ns = head.last_timestamp;
  info.segment_count = segments.size();
  info.segment_bytes = impl_->meta().segment_bytes;
  info.max_event_bytes = impl_->meta().max_event_bytes;
  return info;
}

Result<LogStats> Log::Stats() const {
  LogStats stats;
  EVLOG_ASSIGN_OR_RETURN(stats.info, Info());
  EVLOG_ASSIGN_OR_RETURN(stats.event_count, CountStoredEvents(*impl_));
  EVLOG_ASSIGN_OR_RETURN(std::vector<std::string> names, impl_->fs()->ListDir(impl_->dir()));
  for (const std::string& name : names) {
    if (name == format::kQueueFileName) continue;  // shared memory of live appenders, not the log's data
    auto file = impl_->fs()->Open(impl_->Path(name), OpenMode::kReadOnly);
    if (!file) continue;  // a directory (groups/) or a file removed meanwhile
    auto size = (*file)->Size();
    if (size) stats.bytes_on_disk += *size;
  }
  if (stats.event_count > 0) {
    EVLOG_ASSIGN_OR_RETURN(auto reader, NewReader());
    Event first;
    EVLOG_ASSIGN_OR_RETURN(bool any, reader->Next(&first));
    if (any) {  // compaction may have removed the events at the oldest segment's base
      stats.first_timestamp_ns = first.timestamp_ns;
      stats.info.first_offset = first.offset;
    }
  }
  return stats;
}

std::vector<std::string> Log::recovery_notes() const { return impl_->notes(); }
const std::string& Log::dir() const { return impl_->dir(); }

std::string Log::log_id() const {
  std::string hex;
  for (char c : impl_->meta().log_id) hex += fmt::format("{:02x}", static_cast<unsigned char>(c));
  return hex;
}

// ---- Log::Impl ----

struct Log::Impl::PendingAppend {
  const Batch* batch;
  AppendOptions options;
  std::optional<Result<AppendResult>> result;
  std::condition_variable cv;
};

Log::Impl::Impl(FileSystem* fs, std::string dir, LogMeta meta, std::unique_ptr<File> head_file,
                const LogOptions& options)
    : fs_(fs),
      dir_(std::move(dir)),
      meta_(meta),
      lock_timeout_(options.lock_timeout),
      on_lock_wait_(options.on_lock_wait),
      head_file_(std::move(head_file)) {}
Log::Impl::~Impl() = default;

uint64_t Log::Impl::max_batch_bytes() const { return meta_.segment_bytes - format::segment::kHeaderSize; }

LogWriter& Log::Impl::writer() {
  if (!writer_) writer_ = std::make_unique<LogWriter>(this);
  return *writer_;
}

Status Log::Impl::Recover() {
  std::lock_guard<std::mutex> lock(writer_mu_);
  return writer().Recover();
}

// Marks the calling thread as LOCK's holder for as long as it lives.
class Log::Impl::OwnerScope final : public FileLock {
 public:
  OwnerScope(Impl* impl, std::unique_ptr<FileLock> lock) : impl_(impl), lock_(std::move(lock)) {
    impl_->lock_owner_ = std::this_thread::get_id();
  }
  ~OwnerScope() override { impl_->lock_owner_ = std::thread::id(); }

 private:
  Impl* impl_;
  std::unique_ptr<FileLock> lock_;
};

Status Log::Impl::RunLocked(const std::function<Status(const HeadRecord&)>& fn) {
  std::lock_guard<std::mutex> lock(writer_mu_);
  OwnerScope owner(this, nullptr);  // the writer takes LOCK itself
  return writer().RunLocked(fn);
}

Result<std::unique_ptr<FileLock>> Log::Impl::LockForMaintenance() {
  EVLOG_ASSIGN_OR_RETURN(auto lock, AcquireLock());
  return std::unique_ptr<FileLock>(new OwnerScope(this, std::move(lock)));
}

Result<AppendResult> Log::Impl::Append(const Batch& batch, const AppendOptions& options) {
  PendingAppend me{&batch, options, std::nullopt, {}};
  std::unique_lock<std::mutex> lock(queue_mu_);
  queue_.push_back(&me);
  while (!me.result && queue_.front() != &me) me.cv.wait(lock);
  if (me.result) return *me.result;

  // This thread leads: it commits itself and every compatible request queued behind it.
  std::vector<PendingAppend*> group;
  std::vector<LogWriter::Request> requests;
  for (PendingAppend* p : queue_) {
    if (p->options.sync != options.sync) break;
    group.push_back(p);
    requests.push_back({p->batch, p->options.expect_next});
  }
  lock.unlock();
  std::vector<Result<AppendResult>> results;
  {
    std::lock_guard<std::mutex> writer_lock(writer_mu_);
    writer().Commit(requests, options.sync, &results);
  }
  lock.lock();
  for (size_t i = 0; i < group.size(); ++i) {
    group[i]->result = results[i];
    queue_.pop_front();
    if (group[i] != &me) group[i]->cv.notify_one();
  }
  if (!queue_.empty()) queue_.front()->cv.notify_one();
  return *me.result;
}

void Log::Impl::AddNote(std::string note) {
  std::lock_guard<std::mutex> lock(notes_mu_);
  notes_.push_back(std::move(note));
}

std::vector<std::string> Log::Impl::notes() const {
  std::lock_guard<std::mutex> lock(notes_mu_);
  return notes_;
}

}  // namespace eventlog
