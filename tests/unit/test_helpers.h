// A small vocabulary for library tests: a log on the fault-injecting file system, and
// helpers to append, read back, and damage files.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "eventlog/log.h"
#include "fault_file_system.h"
#include "format_blocks.h"

namespace eventlog::test {

struct ReadEvent {
  uint64_t offset;
  int64_t timestamp;
  std::optional<std::string> key;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string payload;
};

class TestLog {
 public:
  static constexpr const char* kDir = "/log";
  explicit TestLog(LogLimits limits = {});

  testing::FaultFileSystem& fs() { return fs_; }
  Log& log() { return *log_; }
  Status Reopen();  // closes and opens again (without creating)

  Result<AppendResult> Append(const std::vector<std::string>& payloads, AppendOptions options = {});
  Result<std::vector<ReadEvent>> ReadAll();
  std::vector<std::string> Payloads();  // REQUIREs success

  std::string SegmentPath(uint64_t base) const;
  LogId id() const;  // from META, for encoding HEAD (whose checksum carries it)
  std::string Contents(const std::string& path) const;
  void SetContents(const std::string& path, const std::string& data) { fs_.SetContents(path, data); }
  void FlipBit(const std::string& path, uint64_t bit);
  // Damages the first frame of segment 0 the way a buggy writer would: its first event
  // record no longer decodes, yet every checksum in the segment and HEAD's last_checksum are
  // recomputed to match. Checksums cannot see this; only decoding the records can.
  void BreakFirstRecordKeepingChecksums();

 private:
  testing::FaultFileSystem fs_;
  LogLimits limits_;
  std::unique_ptr<Log> log_;
};

// Forwards every call to a FaultFileSystem: a base for test file systems that intercept one
// kind of call (to run a hook at a chosen moment) and leave the rest alone.
class ForwardingFileSystem : public FileSystem {
 public:
  explicit ForwardingFileSystem(testing::FaultFileSystem& fs) : fs_(fs) {}

  Result<std::unique_ptr<File>> Open(const std::string& path, OpenMode mode) override { return fs_.Open(path, mode); }
  Status Rename(const std::string& from, const std::string& to) override { return fs_.Rename(from, to); }
  Status Remove(const std::string& path) override { return fs_.Remove(path); }
  Status CreateDir(const std::string& path) override { return fs_.CreateDir(path); }
  Status SyncDir(const std::string& path) override { return fs_.SyncDir(path); }
  Result<std::vector<std::string>> ListDir(const std::string& path) override { return fs_.ListDir(path); }
  Result<bool> Exists(const std::string& path) override { return fs_.Exists(path); }
  Result<std::unique_ptr<FileLock>> Lock(const std::string& path) override { return fs_.Lock(path); }
  Result<std::unique_ptr<FileLock>> TryLock(const std::string& path) override { return fs_.TryLock(path); }
  std::string LockHolder(const std::string& path) override { return fs_.LockHolder(path); }
  Result<std::unique_ptr<FileLock>> TryLockShared(const std::string& path) override { return fs_.TryLockShared(path); }
  Result<std::unique_ptr<FileWatch>> Watch(const std::string& path) override { return fs_.Watch(path); }

 protected:
  testing::FaultFileSystem& fs_;
};

std::vector<std::string> Numbered(const std::string& prefix, int from, int count);
// The log as the next process finds it after a kill (the page cache survives) or a power
// loss (only what was synced does): reopened and recovered, both REQUIRED to succeed.
void ReopenAfterCrash(TestLog& t, bool power_loss);
std::string HeadPath();  // of TestLog's log
// The payloads of batch i of a scripted run: 1 to 3 events ("b<i>.<j>:" and `filler` x's),
// so that batches of different sizes alternate.
std::vector<std::string> BatchPayloads(int i, size_t filler);
Result<std::vector<ReadEvent>> ReadFrom(Reader& reader);

}  // namespace eventlog::test
