// An in-memory FileSystem that injects faults and simulates power loss, for tests.
//
// It models the durability contract of eventlog/file_system.h exactly: a file's bytes are
// durable as of its last Sync(), a directory entry (create, rename, remove) as of the last
// SyncDir() of its directory. By default SimulatePowerLoss() throws away everything else, the
// way a machine loses its page cache. With SetPowerLossModel() it does what a real disk may
// do instead (torn_writes.h): each unsynced sector is kept, dropped or garbled, a seeded
// random prefix of each directory's unsynced creates, renames and removes survives (a
// journal commits them in order), and the system writes dirty files back on its own now and
// then. A few deterministic knobs inject failures:
//   FailNext(op, k, fault)   the operation of that kind after the next k fails (nothing
//                     happens, or for a short write half the bytes are stored);
//                     operations(op) counts them, to enumerate every one;
//   FailMutation(k, fault)   the same for the mutating operation of any kind after the next
//                     k; mutation_kinds() lists the kinds so far, to choose a fitting fault;
//   ShortWriteNext(n) the next Write stores only its first n bytes, then fails;
//   CrashAfter(n, t)  after n more mutating operations, every operation fails, as if the
//                     process had died there (in the middle of a Write, if it lands on one:
//                     its first t bytes are stored); the test then calls SimulatePowerLoss()
//                     or SimulateProcessCrash().
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <vector>

#include "eventlog/file_system.h"
#include "torn_writes.h"

namespace eventlog::testing {

// kWriteback: File::StartWriteback, which changes nothing durable (never a crash point) but
// can fail like a sync.
enum class FaultOp { kWrite, kSync, kTruncate, kRename, kRemove, kSyncDir, kCreate, kWriteback };

// How an injected failure reports itself: EIO, ENOSPC, or (for a Write; EIO for other
// operations) a short write that stored the first half of the bytes.
enum class Fault { kIOError, kNoSpace, kShortWrite };

// What the last SimulatePowerLoss() did (all zero in the default mode).
struct PowerLossReport {
  TornWriteStats sectors;
  uint64_t entries_kept = 0;    // unsynced directory operations that survived
  uint64_t entries_undone = 0;  // and those that did not
  std::vector<std::string> out_of_order_files;  // files where a later sector outlived an earlier one
};

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

  void FailNext(FaultOp op, int skip = 0, Fault fault = Fault::kIOError);
  int operations(FaultOp op) const;  // of that kind so far, failed or not
  void FailMutation(int skip, Fault fault = Fault::kIOError);
  std::vector<FaultOp> mutation_kinds() const;  // of every mutating operation so far, in order
  void ShortWriteNext(size_t bytes);
  void CrashAfter(int mutating_operations, size_t torn_write_bytes = 0);  // a negative count disarms it
  bool crashed() const;                      // CrashAfter's moment has come
  void ClearFaults();                        // disarms every knob (a dead process revives)
  int mutating_operations() const;  // count so far, for enumerating crash points

  // Seeds the realistic power loss described above (until the file system is destroyed).
  void SetPowerLossModel(const PowerLossModel& model);
  // Drops unsynced bytes and un-synced directory entries (or, with a model, some of them),
  // and clears every fault knob.
  void SimulatePowerLoss();
  PowerLossReport last_power_loss() const;  // what the last one did
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
