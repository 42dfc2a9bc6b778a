// The narrow file-system interface every byte the library reads or writes goes through.
//
// Production code uses PosixFileSystem(). Tests substitute FaultFileSystem
// (eventlog/testing/fault_file_system.h) to fail the next operation, cut a write short, or
// simulate a power loss that drops everything not yet made durable by Sync()/SyncDir().
//
// Durability contract, which the fault-injecting implementation models exactly:
//   - bytes written with Write() are durable once a later Sync() on the same file returned OK;
//   - a created, renamed or removed directory entry is durable once SyncDir() on its
//     directory returned OK.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "eventlog/status.h"

namespace eventlog {

// A read-only view of the first size() bytes of a file. Bytes below the file's size at the
// time of mapping never change while the view is alive: the library only ever appends to,
// or cuts bytes above every reader's committed end from, a file others may have mapped.
class MappedRegion {
 public:
  virtual ~MappedRegion() = default;
  virtual std::string_view bytes() const = 0;
  // Declares that bytes below `position` will not be read again. The mapping stays valid;
  // the OS may drop those pages from this process (they stay cached), which keeps a long
  // sequential read's resident memory bounded.
  virtual void DropBefore(uint64_t position) { (void)position; }
};

class File {
 public:
  virtual ~File() = default;
  // Writes all of `data` at `offset`, looping over short writes; an error means an unknown
  // prefix of `data` may have reached the file.
  virtual Status Write(uint64_t offset, std::string_view data) = 0;
  // Reads up to out.size() bytes at `offset`; returns how many were read (short at EOF).
  virtual Result<size_t> Read(uint64_t offset, std::span<char> out) const = 0;
  // fdatasync. After an error the file's durable state is unknown: callers must not retry
  // and trust a later success (see "fsyncgate"); the appender enters its failed state.
  virtual Status Sync() = 0;
  // Starts writing [offset, offset + length) back to the device now, without waiting, so
  // that the device works while the caller prepares what comes next and a later Sync() has
  // less left to wait for. Promises nothing about durability: Sync() still decides. OK where
  // the system offers no such call. An error means the write-back failed as it started and
  // may have dropped the data (ext4's delayed allocation does, without recording the error
  // for the next fdatasync): the caller treats it as a failed Sync().
  virtual Status StartWriteback(uint64_t offset, uint64_t length) {
    (void)offset;
    (void)length;
    return Status::Ok();
  }
  virtual Status Truncate(uint64_t size) = 0;
  virtual Result<uint64_t> Size() const = 0;
  // Maps [0, length) read-only; `length` must not exceed Size().
  virtual Result<std::unique_ptr<MappedRegion>> Map(uint64_t length) const = 0;
};

// Exclusive advisory lock on a file (flock). Released by the destructor or by process death.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

// A file mapped read-write and shared with every process that maps it, with byte locks that
// end with their holder's process: for coordination between live processes (commit_queue.h),
// never for data. Nothing about it is durable, and its bytes are only as trustworthy as the
// processes that share it.
class SharedRegion {
 public:
  virtual ~SharedRegion() = default;
  virtual char* data() = 0;
  virtual size_t size() const = 0;
  // An exclusive lock on byte `index` of the file (not of the mapping's contents), if no
  // other holder has it; nullptr otherwise. Released by the returned object or process death.
  virtual Result<std::unique_ptr<FileLock>> TryLockByte(uint64_t index) = 0;
  // Whether another holder (not this region's own locks) has byte `index` locked
  // exclusively (a shared lock, which any reader of the file may take, does not count).
  virtual Result<bool> ByteLockedElsewhere(uint64_t index) = 0;
  // Sleeps while the u32 at `offset` (4-aligned) equals `value`, at most `timeout_ms`;
  // may return early. Wakes sleepers on it (a futex on Linux).
  virtual void WaitWhileEqual(uint64_t offset, uint32_t value, int timeout_ms) = 0;
  virtual void WakeAll(uint64_t offset) = 0;
  // Whether the file is now shorter than the mapping: another program truncated it, and
  // touching a page past its end would raise SIGBUS.
  virtual bool CutShort() const { return false; }
};

// Wakes a waiter when a file is modified (inotify on Linux).
class FileWatch {
 public:
  virtual ~FileWatch() = default;
  // Returns after the file changed or `timeout_ms` elapsed (-1: no timeout). Spurious
  // wake-ups are allowed; callers re-check their condition.
  virtual Status Wait(int timeout_ms) = 0;
};

enum class OpenMode {
  kReadOnly,
  kReadWrite,        // existing file
  kCreateExclusive,  // new file, read-write; fails if it exists
  kCreateOrOpen,     // read-write, created if missing (lock files)
};

// Open() never follows a symbolic link in the last component of `path` and refuses anything
// but a regular file (a FIFO would block, a device would be written through): a log's files
// are its own, and a link planted in the log directory must not redirect a writer elsewhere.
class FileSystem {
 public:
  virtual ~FileSystem() = default;
  virtual Result<std::unique_ptr<File>> Open(const std::string& path, OpenMode mode) = 0;
  virtual Status Rename(const std::string& from, const std::string& to) = 0;
  virtual Status Remove(const std::string& path) = 0;
  virtual Status CreateDir(const std::string& path) = 0;  // OK if it already exists
  virtual Status SyncDir(const std::string& path) = 0;
  virtual Result<std::vector<std::string>> ListDir(const std::string& path) = 0;  // names only
  virtual Result<bool> Exists(const std::string& path) = 0;
  // Blocks until the exclusive lock on `path` (created if missing) is held.
  virtual Result<std::unique_ptr<FileLock>> Lock(const std::string& path) = 0;
  // The exclusive lock on `path` (created if missing) if it is free now; nullptr if another
  // holder has it.
  virtual Result<std::unique_ptr<FileLock>> TryLock(const std::string& path) = 0;
  // Who holds a lock on `path`, for messages ("process 4242 (evlog append /var/log/x)");
  // empty if that cannot be told.
  virtual std::string LockHolder(const std::string& path) = 0;
  // A shared lock on the existing file `path`, without waiting and without needing write
  // access: nullptr if an exclusive holder has it, kNotFound if the file is missing. A reader
  // holds it to know that no writer is between writing frames and publishing them.
  virtual Result<std::unique_ptr<FileLock>> TryLockShared(const std::string& path) = 0;
  // kNotFound if `path` does not exist.
  virtual Result<std::unique_ptr<FileWatch>> Watch(const std::string& path) = 0;
  // Maps `path` (created if missing, extended with zeros to `size` bytes if shorter, and
  // allocated: a shared mapping must not fault on a full disk) shared and read-write. nullptr where memory cannot be shared between processes: the
  // fault-injecting file system, whose "processes" are objects in one test.
  virtual Result<std::unique_ptr<SharedRegion>> OpenShared(const std::string& path, size_t size) {
    (void)path;
    (void)size;
    return std::unique_ptr<SharedRegion>();
  }
};

// The process-wide POSIX implementation (pwrite, fdatasync, mmap, flock, inotify).
FileSystem* PosixFileSystem();

}  // namespace eventlog
