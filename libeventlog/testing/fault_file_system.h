// An in-memory FileSystem that injects faults and simulates power loss, for tests.
//
// It models the durability contract of eventlog/file_system.h exactly: a file's bytes are
// durable as of its last Sync(), a directory entry (create, rename, remove) as of the last
// SyncDir() of its directory. SimulatePowerLoss() throws away everything else, the way a
// machine loses its page cache. A few deterministic knobs inject failures:
//   FailNext(op, k)   the operation of that kind after the next k fails with EIO (nothing
//                     happens); operations(op) counts them, to enumerate every one;
//   ShortWriteNext(n) the next Write stores only its first n bytes, then fails;
//   CrashAfter(n)     after n more mutating operations, every operation fails, as if the
//                     process had died there; the test then calls SimulatePowerLoss().
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>

#include "eventlog/file_system.h"

namespace eventlog::testing {

enum class FaultOp { kWrite, kSync, kTruncate, kRename, kRemove, kSyncDir, kCreate };

class FaultFileSystem final : public FileSystem {
 public:
  FaultFileSystem();
  ~FaultFileSystem() override;

  Result<std::unique_ptr<File>> Open(const std::string& path, OpenMode mode) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status Remove(const std::string& path) override;
  Status CreateDir(const std::string& path) override;
  Status SyncDir(const std::string& path) override;
  Result<std::vector<std::string>> ListDir(const std::string& path) override;
  Result<bool> Exists(const std::string& path) override;
  Result<std::unique_ptr<FileLock>> Lock(const std::string& path) override;
  Result<std::unique_ptr<FileLock>> TryLock(const std::string& path) override;
  std::string LockHolder(const std::string& path) override;
  Result<std::unique_ptr<FileLock>> TryLockShared(const std::string& path) override;
  Result<std::unique_ptr<FileWatch>> Watch(const std::string& path) override;

  void FailNext(FaultOp op, int skip = 0);
  int operations(FaultOp op) const;  // of that kind so far, failed or not
  void ShortWriteNext(size_t bytes);
  void CrashAfter(int mutating_operations);
  int mutating_operations() const;  // count so far, for enumerating crash points

  // Drops unsynced bytes and un-synced directory entries, and clears every fault knob.
  void SimulatePowerLoss();
  // The process died but the machine did not: everything written stays (in the page cache),
  // and every fault knob is cleared for the next process.
  void SimulateProcessCrash();

  // Direct access for corruption tests; `SetContents` makes the bytes durable too.
  std::optional<std::string> Contents(const std::string& path) const;
  void SetContents(const std::string& path, const std::string& data);

  struct Node;
  struct State;

 private:
  std::shared_ptr<std::shared_mutex> LockSlot(const std::string& path);  // created on first use

  std::shared_ptr<State> state_;
};

}  // namespace eventlog::testing
