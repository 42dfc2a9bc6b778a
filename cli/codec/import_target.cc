#include "codec/import_target.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>

#include <fmt/format.h>

#include "term/file_util.h"
#include "codec/import_scratch.h"
#include "term/report.h"

namespace evlog {
namespace {

using eventlog::Result;
using eventlog::Status;

constexpr char kCommand[] = "import";


// Sets every position in one transaction, each clamped to the log's next offset.
Status SetGroups(eventlog::ConsumerGroups& store, std::vector<eventlog::GroupInfo> groups, uint64_t next_offset) {
  for (eventlog::GroupInfo& g : groups) g.position = std::min(g.position, next_offset);
  return store.ResetAll(groups);
}

// Events are committed in batches of about this size while a new log is built: the
// temporary directory, not the batch, makes the import atomic.
constexpr uint64_t kNewLogCommitBytes = 4 << 20;

class NewLogTarget final : public ImportTarget {
 public:
  NewLogTarget(std::string dir, bool replaces_empty_dir) : dir_(std::move(dir)), replaces_empty_dir_(replaces_empty_dir) {
    state_.is_new = state_.empty = true;
  }
  ~NewLogTarget() override {
    batch_.reset();
    log_.reset();
    scratch_.reset();  // removes the directory unless it was renamed into place
  }

  const State& state() const override { return state_; }
  Result<uint64_t> CountStoredEvents() const override { return 0; }

  Status Begin(bool preserve, uint64_t first_offset, const eventlog::LogLimits& limits) override {
    EVLOG_ASSIGN_OR_RETURN(ScratchDir scratch, ScratchDir::Create(dir_));
    scratch_.emplace(std::move(scratch));
    EVLOG_ASSIGN_OR_RETURN(log_, eventlog::Log::Open(scratch_->path(), {.create_if_missing = true, .limits = limits,
                                                             .first_offset = first_offset, .fs = nullptr}));
    EVLOG_ASSIGN_OR_RETURN(eventlog::LogInfo info, log_->Info());
    commit_bytes_ = std::min<uint64_t>(kNewLogCommitBytes, info.segment_bytes / 4);
    batch_ = std::make_unique<eventlog::Batch>(log_->NewBatch());
    batch_->AllowLeadingGap();  // this directory is ours alone until it is renamed
    preserve_ = preserve;
    return Status::Ok();
  }

  Status Add(const ImportEvent& e) override {
    // A preset batch must start at the log's next offset, so a batch may end only where
    // the next event's offset follows the last one's.
    const bool may_cut = !preserve_ || (batch_->event_count() > 0 && *e.offset == last_offset_ + 1);
    if (batch_->encoded_bytes() >= commit_bytes_ && may_cut) EVLOG_RETURN_IF_ERROR(Flush());
    if (preserve_) last_offset_ = *e.offset;
    Status added = preserve_ ? batch_->AddAt(e.event, *e.offset, e.timestamp_ns) : batch_->Add(e.event);
    if (added.ok() || !preserve_ || batch_->empty()) return added;
    // A key-compacted source may have no contiguous offsets for a whole segment: then the
    // batch is cut at a gap, and the next one starts a segment of its own (AllowLeadingGap).
    // Any other refusal recurs below, on the event alone.
    EVLOG_RETURN_IF_ERROR(Flush());
    return batch_->AddAt(e.event, *e.offset, e.timestamp_ns);
  }

  // Everything in the directory is made durable before it gets its name: the last append
  // syncs the active segment (older segments were synced when they were closed, META and
  // HEAD at creation), and group positions are durable when LMDB commits.
  Result<eventlog::LogInfo> Commit(const std::vector<eventlog::GroupInfo>& groups) override {
    if (!batch_->empty()) EVLOG_RETURN_IF_ERROR(log_->Append(*batch_, {.sync = true, .expect_next = std::nullopt}).status());
    EVLOG_ASSIGN_OR_RETURN(eventlog::LogInfo info, log_->Info());
    if (!groups.empty()) {
      EVLOG_ASSIGN_OR_RETURN(auto store, eventlog::ConsumerGroups::Open(*log_));
      EVLOG_RETURN_IF_ERROR(SetGroups(*store, groups, info.next_offset));
    }
    batch_.reset();
    log_.reset();
    EVLOG_RETURN_IF_ERROR(Rename());
    scratch_->Release();
    EVLOG_RETURN_IF_ERROR(SyncDirectory(ParentDirectory(dir_)));
    return info;
  }

 private:
  Status Flush() {
    EVLOG_RETURN_IF_ERROR(log_->Append(*batch_, {.sync = false, .expect_next = std::nullopt}).status());
    batch_->Clear();
    return Status::Ok();
  }

  // Never over a log someone created meanwhile: only over nothing, or an empty directory.
  Status Rename() {
    const std::string& temp = scratch_->path();
    int rc = replaces_empty_dir_ ? rename(temp.c_str(), dir_.c_str())
                                 : renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, dir_.c_str(), RENAME_NOREPLACE);
    if (rc == 0) return Status::Ok();
    if (errno == EEXIST || errno == ENOTEMPTY) {
      return Status::IOError(dir_ + " was created by someone else during the import; nothing was imported");
    }
    return ErrnoStatus("cannot rename " + temp + " to " + dir_);
  }

  std::string dir_;
  bool replaces_empty_dir_;
  State state_;
  std::optional<ScratchDir> scratch_;
  std::unique_ptr<eventlog::Log> log_;
  std::unique_ptr<eventlog::Batch> batch_;
  bool preserve_ = false;
  uint64_t last_offset_ = 0;
  uint64_t commit_bytes_ = 0;
};

class ExistingLogTarget final : public ImportTarget {
 public:
  ExistingLogTarget(std::unique_ptr<eventlog::Log> log, const eventlog::LogInfo& info) : log_(std::move(log)) {
    state_.next_offset = info.next_offset;
    state_.empty = info.next_offset == info.first_offset;
    state_.max_event_bytes = info.max_event_bytes;
  }

  const State& state() const override { return state_; }
  Result<uint64_t> CountStoredEvents() const override {
    EVLOG_ASSIGN_OR_RETURN(eventlog::LogStats stats, log_->Stats());
    return stats.event_count;
  }

  Status Begin(bool preserve, uint64_t, const eventlog::LogLimits&) override {
    batch_ = std::make_unique<eventlog::Batch>(log_->NewBatch());
    preserve_ = preserve;
    return Status::Ok();
  }

  Status Add(const ImportEvent& e) override {
    Status s = preserve_ ? batch_->AddAt(e.event, *e.offset, e.timestamp_ns) : batch_->Add(e.event);
    if (s.ok() || s.message().find("batch exceeds") == std::string::npos) return s;
    return Status(s.code(), s.message() + " (an import into an existing log is one atomic batch, which must fit in one "
                                           "of its segments: import into a new log instead)");
  }

  // The events and the positions commit as one unit (ConsumerGroups::AppendWithPositions):
  // a crash between the two leaves a record that the next opener of the groups settles.
  Result<eventlog::LogInfo> Commit(const std::vector<eventlog::GroupInfo>& groups) override {
    if (groups.empty()) {
      EVLOG_RETURN_IF_ERROR(log_->Append(*batch_, {.sync = true, .expect_next = std::nullopt}).status());
      return log_->Info();
    }
    auto store = eventlog::ConsumerGroups::Open(*log_);
    if (!store) return Status(store.error().code(), store.error().message() + "; nothing was imported");
    if (batch_->empty()) {  // an archive of groups only: nothing to commit them with
      EVLOG_ASSIGN_OR_RETURN(eventlog::LogInfo info, log_->Info());
      EVLOG_RETURN_IF_ERROR(SetGroups(**store, groups, info.next_offset));
      return info;
    }
    EVLOG_RETURN_IF_ERROR((*store)->AppendWithPositions(*log_, *batch_, groups).status());
    return log_->Info();
  }

 private:
  std::unique_ptr<eventlog::Log> log_;
  State state_;
  std::unique_ptr<eventlog::Batch> batch_;
  bool preserve_ = false;
};

}  // namespace

Result<std::unique_ptr<ImportTarget>> ImportTarget::Open(const std::string& log_dir) {
  std::string dir = log_dir;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  struct stat st;
  if (stat(dir.c_str(), &st) != 0) {
    if (errno != ENOENT) return ErrnoStatus("cannot inspect " + dir);
    return std::unique_ptr<ImportTarget>(new NewLogTarget(dir, false));
  }
  std::error_code error;
  if (S_ISDIR(st.st_mode) && std::filesystem::is_empty(dir, error) && !error) {
    return std::unique_ptr<ImportTarget>(new NewLogTarget(dir, true));
  }
  if (!S_ISDIR(st.st_mode) || access((dir + "/META").c_str(), F_OK) != 0) {
    // The library tells a log whose META was lost (damage, exit 4) from a directory that is
    // not a log, and names what it holds, in the words every command that creates logs uses.
    if (S_ISDIR(st.st_mode)) EVLOG_RETURN_IF_ERROR(eventlog::Log::CheckCreatable(dir));
    return Status::InvalidArgument(dir + " exists and is not an evlog log (no META file) nor an empty directory");
  }
  EVLOG_ASSIGN_OR_RETURN(auto log, eventlog::Log::Open(dir, {.create_if_missing = false, .limits = {}, .fs = nullptr}));
  PrintRecoveryNotes(kCommand, *log);
  EVLOG_ASSIGN_OR_RETURN(eventlog::LogInfo info, log->Info());
  return std::unique_ptr<ImportTarget>(new ExistingLogTarget(std::move(log), info));
}

}  // namespace evlog
