// Log internals shared by the writer and readers.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "eventlog/log.h"
#include "format_blocks.h"

namespace eventlog {

class LogWriter;

class Log::Impl {
 public:
  Impl(FileSystem* fs, std::string dir, LogMeta meta, std::unique_ptr<File> head_file);
  ~Impl();

  FileSystem* fs() const { return fs_; }
  const std::string& dir() const { return dir_; }
  const LogMeta& meta() const { return meta_; }
  std::string Path(std::string_view name) const { return dir_ + "/" + std::string(name); }
  uint64_t max_batch_bytes() const;
  bool has_head_file() const { return head_file_ != nullptr; }

  // The committed end. If HEAD is missing or does not verify (a crash), runs recovery
  // under the append lock first, so readers never guess.
  Result<HeadRecord> CommittedHead();

  // Takes the append lock and runs recovery now (format-spec §8).
  Status Recover();

  // Runs `fn` holding the append lock (this process's writer mutex and LOG/LOCK) with the
  // committed end adopted or recovered first; see LogWriter::RunLocked.
  Status RunLocked(const std::function<Status(const HeadRecord&)>& fn);

  Result<AppendResult> Append(const Batch& batch, const AppendOptions& options);

  void AddNote(std::string note);
  std::vector<std::string> notes() const;

 private:
  struct PendingAppend;
  LogWriter& writer();  // created on first use; requires writer_mu_

  FileSystem* fs_;
  std::string dir_;
  LogMeta meta_;
  std::unique_ptr<File> head_file_;  // read-only handle for CommittedHead()

  // Group commit (LevelDB's writer queue): the front of the queue commits everything
  // compatible that queued up behind it under one lock and one fdatasync.
  std::mutex queue_mu_;
  std::deque<PendingAppend*> queue_;
  std::mutex writer_mu_;
  std::unique_ptr<LogWriter> writer_;

  mutable std::mutex notes_mu_;
  std::vector<std::string> notes_;
};

}  // namespace eventlog
