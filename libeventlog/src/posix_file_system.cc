// FileSystem on POSIX: pwrite/pread, fdatasync, read-only mmap, flock and inotify.
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <dirent.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include <fmt/format.h>

#include "eventlog/file_system.h"

namespace eventlog {
namespace {

Status ErrnoStatus(const std::string& what, const std::string& path, int err) {
  return Status::IOError(fmt::format("{} {}: {}", what, path, std::strerror(err)));
}

// Every file of a log is a regular file the log owns; anything else in its place was put
// there by someone else, and following it could read or overwrite a file outside the log.
Status NotARegularFile(const std::string& path, std::string_view what) {
  return Status::Corruption(fmt::format(
      "{}: is {}, not a regular file; evlog never follows links or opens special files inside a log. "
      "Put the real file back (or run `evlog verify`)", path, what));
}

class PosixMappedRegion final : public MappedRegion {
 public:
  PosixMappedRegion(void* base, size_t length) : base_(base), length_(length) {}
  ~PosixMappedRegion() override {
    if (length_ > 0) munmap(base_, length_);
  }
  std::string_view bytes() const override { return {static_cast<const char*>(base_), length_}; }

  void DropBefore(uint64_t position) override {
    const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
    const uint64_t end = std::min<uint64_t>(position, length_) / page * page;
    if (end > 0) madvise(base_, end, MADV_DONTNEED);  // advisory: failure changes nothing
  }

 private:
  void* base_;
  size_t length_;
};

class EmptyRegion final : public MappedRegion {
 public:
  std::string_view bytes() const override { return {}; }
};

class PosixFile final : public File {
 public:
  PosixFile(int fd, std::string path, bool read_only) : fd_(fd), path_(std::move(path)), read_only_(read_only) {}
  ~PosixFile() override { close(fd_); }

  Status Write(uint64_t offset, std::string_view data) override {
    while (!data.empty()) {
      ssize_t n = pwrite(fd_, data.data(), data.size(), static_cast<off_t>(offset));
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus(fmt::format("write at byte {} of", offset), path_, errno);
      }
      data.remove_prefix(static_cast<size_t>(n));
      offset += static_cast<uint64_t>(n);
    }
    return Status::Ok();
  }

  Status StartWriteback(uint64_t offset, uint64_t length) override {
    // SYNC_FILE_RANGE_WRITE alone: the wait flags would collect a write-back error for this
    // file description, and the fdatasync that must report it would then return 0.
#ifdef SYNC_FILE_RANGE_WRITE
    while (sync_file_range(fd_, static_cast<off_t>(offset), static_cast<off_t>(length), SYNC_FILE_RANGE_WRITE) != 0) {
      if (errno == EINTR) continue;
      // Where the call does not apply (a file system or kernel without it), there is nothing
      // to start: the hint is dropped.
      if (errno == EINVAL || errno == ESPIPE || errno == ENOSYS || errno == EOPNOTSUPP) return Status::Ok();
      return ErrnoStatus(fmt::format("starting write-back at byte {} of", offset), path_, errno);
    }
#else
    (void)offset;
    (void)length;
#endif
    return Status::Ok();
  }

  Result<size_t> Read(uint64_t offset, std::span<char> out) const override {
    size_t done = 0;
    while (done < out.size()) {
      ssize_t n = pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus(fmt::format("read at byte {} of", offset + done), path_, errno);
      }
      if (n == 0) break;
      done += static_cast<size_t>(n);
    }
    return done;
  }

  Status Sync() override {
    if (fdatasync(fd_) == 0) return Status::Ok();
    // Read-only file systems (squashfs, iso9660, erofs) have no fsync and say EINVAL or EROFS:
    // nothing on them can be dirty, so a reader's sync of what it is about to show succeeds.
    if (read_only_ && (errno == EINVAL || errno == EROFS)) return Status::Ok();
    return ErrnoStatus("fdatasync", path_, errno);
  }

  Status Truncate(uint64_t size) override {
    if (ftruncate(fd_, static_cast<off_t>(size)) != 0) return ErrnoStatus("truncate", path_, errno);
    return Status::Ok();
  }

  Result<uint64_t> Size() const override {
    struct stat st;
    if (fstat(fd_, &st) != 0) return ErrnoStatus("stat", path_, errno);
    return static_cast<uint64_t>(st.st_size);
  }

  Result<std::unique_ptr<MappedRegion>> Map(uint64_t length) const override {
    if (length == 0) return std::unique_ptr<MappedRegion>(new EmptyRegion());
    void* base = mmap(nullptr, length, PROT_READ, MAP_SHARED, fd_, 0);
    if (base == MAP_FAILED) return ErrnoStatus("mmap", path_, errno);
    return std::unique_ptr<MappedRegion>(new PosixMappedRegion(base, length));
  }

 private:
  int fd_;
  std::string path_;
  bool read_only_;
};

class PosixFileLock final : public FileLock {
 public:
  explicit PosixFileLock(int fd) : fd_(fd) {}
  ~PosixFileLock() override { close(fd_); }  // closing the last descriptor drops the flock

 private:
  int fd_;
};

class InotifyWatch final : public FileWatch {
 public:
  explicit InotifyWatch(int fd) : fd_(fd) {}
  ~InotifyWatch() override { close(fd_); }

  Status Wait(int timeout_ms) override {
    struct pollfd pfd = {fd_, POLLIN, 0};
    int rc = poll(&pfd, 1, timeout_ms);
    if (rc < 0 && errno != EINTR) return Status::IOError(fmt::format("poll: {}", std::strerror(errno)));
    if (rc > 0) {
      char buf[4096];
      while (read(fd_, buf, sizeof buf) > 0) {
      }  // drain: one wake-up covers all queued modifications
    }
    return Status::Ok();
  }

 private:
  int fd_;
};

// open(2) for a file of the log: only a regular file, never through a link (see Open()).
// Fills *st if given.
Result<int> OpenRegularFile(const std::string& path, int flags, struct stat* st) {
  int fd = open(path.c_str(), flags, 0644);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound(fmt::format("{}: no such file", path));
    if (errno == ELOOP) return NotARegularFile(path, "a symbolic link");
    return ErrnoStatus("open", path, errno);
  }
  struct stat own;
  if (st == nullptr) st = &own;
  if (fstat(fd, st) != 0) {
    int err = errno;
    close(fd);
    return ErrnoStatus("stat", path, err);
  }
  if (!S_ISREG(st->st_mode)) {
    close(fd);
    return NotARegularFile(path, S_ISFIFO(st->st_mode) ? "a FIFO" : S_ISDIR(st->st_mode) ? "a directory" : "not a regular file");
  }
  return fd;
}

// A record lock request for one byte.
struct flock ByteRange(short type, uint64_t index) {
  struct flock lock = {};
  lock.l_type = type;
  lock.l_whence = SEEK_SET;
  lock.l_start = static_cast<off_t>(index);
  lock.l_len = 1;
  return lock;
}

// Byte locks are open-file-description locks (F_OFD_*): unlike classic POSIX record locks
// they belong to the descriptor, so closing some other descriptor of the file in this
// process does not drop them, and unlike flock they lock single bytes. The kernel drops
// them when the process dies.
//
// A child forked without exec shares the description, and so the locks: it must never
// unlock them (destroying an inherited object, or exit() running destructors), or the
// parent's slot would look free while the parent still uses it.
class PosixByteLock final : public FileLock {
 public:
  PosixByteLock(int fd, uint64_t index) : fd_(fd), index_(index), owner_(getpid()) {}
  ~PosixByteLock() override {
    if (getpid() != owner_) return;
    struct flock unlock = ByteRange(F_UNLCK, index_);
    (void)fcntl(fd_, F_OFD_SETLK, &unlock);
  }

 private:
  int fd_;
  uint64_t index_;
  pid_t owner_;
};

class PosixSharedRegion final : public SharedRegion {
 public:
  PosixSharedRegion(int fd, void* base, size_t size, std::string path)
      : fd_(fd), base_(base), size_(size), path_(std::move(path)) {}
  ~PosixSharedRegion() override {
    munmap(base_, size_);
    close(fd_);  // drops this description's byte locks; every PosixByteLock is gone by now
  }
  char* data() override { return static_cast<char*>(base_); }
  size_t size() const override { return size_; }

  Result<std::unique_ptr<FileLock>> TryLockByte(uint64_t index) override {
    struct flock lock = ByteRange(F_WRLCK, index);
    while (fcntl(fd_, F_OFD_SETLK, &lock) != 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EACCES) return std::unique_ptr<FileLock>();
      return ErrnoStatus("lock a byte of", path_, errno);
    }
    return std::unique_ptr<FileLock>(new PosixByteLock(fd_, index));
  }

  Result<bool> ByteLockedElsewhere(uint64_t index) override {
    struct flock probe = ByteRange(F_WRLCK, index);
    if (fcntl(fd_, F_OFD_GETLK, &probe) != 0) return ErrnoStatus("test a byte lock of", path_, errno);
    // Only an exclusive lock is an owner's: anyone who can read the file can take a shared
    // one, and must not make a dead owner's slot look alive.
    return probe.l_type == F_WRLCK;
  }

  // Not FUTEX_PRIVATE_FLAG: the word lives in a shared file mapping, and the kernel keys
  // such a futex by inode and offset, so processes that map the file meet on it.
  void WaitWhileEqual(uint64_t offset, uint32_t value, int timeout_ms) override {
    struct timespec timeout = {timeout_ms / 1000, (timeout_ms % 1000) * 1000000L};
    (void)syscall(SYS_futex, Word(offset), FUTEX_WAIT, value, &timeout, nullptr, 0);
  }
  void WakeAll(uint64_t offset) override {
    (void)syscall(SYS_futex, Word(offset), FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0);
  }
  bool CutShort() const override {
    struct stat st;
    return fstat(fd_, &st) == 0 && static_cast<uint64_t>(st.st_size) < size_;
  }

 private:
  uint32_t* Word(uint64_t offset) { return reinterpret_cast<uint32_t*>(data() + offset); }

  int fd_;
  void* base_;
  size_t size_;
  std::string path_;
};

// Opens `path` with `open_flags` (never following a link) and applies flock `operation`.
// With LOCK_NB, a lock held elsewhere gives nullptr, not an error.
Result<std::unique_ptr<FileLock>> FlockFile(const std::string& path, int open_flags, int operation) {
  int fd = open(path.c_str(), open_flags | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0644);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound(fmt::format("{}: no such file", path));
    return errno == ELOOP ? NotARegularFile(path, "a symbolic link") : ErrnoStatus("open lock file", path, errno);
  }
  while (flock(fd, operation) != 0) {
    if (errno == EINTR) continue;
    int err = errno;
    close(fd);
    if (err == EWOULDBLOCK && (operation & LOCK_NB)) return std::unique_ptr<FileLock>();
    return ErrnoStatus("lock", path, err);
  }
  return std::unique_ptr<FileLock>(new PosixFileLock(fd));
}

class PosixFs final : public FileSystem {
 public:
  Result<std::unique_ptr<File>> Open(const std::string& path, OpenMode mode) override {
    // O_NONBLOCK: opening a FIFO planted in the log would otherwise wait for a peer forever;
    // it has no effect on the regular files that pass the check below.
    int flags = O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK;
    switch (mode) {
      case OpenMode::kReadOnly: flags |= O_RDONLY; break;
      case OpenMode::kReadWrite: flags |= O_RDWR; break;
      case OpenMode::kCreateExclusive: flags |= O_RDWR | O_CREAT | O_EXCL; break;
      case OpenMode::kCreateOrOpen: flags |= O_RDWR | O_CREAT; break;
    }
    EVLOG_ASSIGN_OR_RETURN(int fd, OpenRegularFile(path, flags, nullptr));
    return std::unique_ptr<File>(new PosixFile(fd, path, mode == OpenMode::kReadOnly));
  }

  Status Rename(const std::string& from, const std::string& to) override {
    if (rename(from.c_str(), to.c_str()) != 0) return ErrnoStatus("rename " + from + " to", to, errno);
    return Status::Ok();
  }

  Status Remove(const std::string& path) override {
    if (unlink(path.c_str()) != 0) return ErrnoStatus("remove", path, errno);
    return Status::Ok();
  }

  Status CreateDir(const std::string& path) override {
    if (mkdir(path.c_str(), 0755) == 0 || errno == EEXIST) return Status::Ok();
    if (errno == ENOENT) {
      // Parents are not created, as sqlite3 does not create them: a mistyped path should
      // fail here rather than leave a tree of new directories somewhere unexpected.
      const std::string parent = std::filesystem::path(path).parent_path().string();
      return Status::IOError(fmt::format("create directory {}: its parent directory {} does not exist (create it "
                                         "first, e.g. mkdir -p {})",
                                         path, parent, parent));
    }
    return ErrnoStatus("create directory", path, errno);
  }

  Status SyncDir(const std::string& path) override {
    int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus("open directory", path, errno);
    int rc = fsync(fd);
    int err = errno;
    close(fd);
    if (rc != 0) return ErrnoStatus("fsync directory", path, err);
    return Status::Ok();
  }

  Result<std::vector<std::string>> ListDir(const std::string& path) override {
    DIR* dir = opendir(path.c_str());
    if (dir == nullptr) {
      if (errno == ENOENT) return Status::NotFound(fmt::format("{}: no such directory", path));
      return ErrnoStatus("list directory", path, errno);
    }
    std::vector<std::string> names;
    while (struct dirent* entry = readdir(dir)) {
      std::string name = entry->d_name;
      if (name != "." && name != "..") names.push_back(std::move(name));
    }
    closedir(dir);
    return names;
  }

  Result<bool> Exists(const std::string& path) override {
    struct stat st;  // lstat: a dangling link still occupies the name, and Open() refuses it
    if (lstat(path.c_str(), &st) == 0) return true;
    if (errno == ENOENT) return false;
    return ErrnoStatus("stat", path, errno);
  }

  Result<std::unique_ptr<FileLock>> Lock(const std::string& path) override {
    return FlockFile(path, O_RDWR | O_CREAT, LOCK_EX);
  }

  Result<std::unique_ptr<FileLock>> TryLock(const std::string& path) override {
    return FlockFile(path, O_RDWR | O_CREAT, LOCK_EX | LOCK_NB);
  }

  // Linux lists every flock in /proc/locks with its holder's pid and the file's inode.
  std::string LockHolder(const std::string& path) override {
    struct stat st;
    if (lstat(path.c_str(), &st) != 0) return "";
    std::ifstream locks("/proc/locks");
    std::string line;
    const std::string inode_suffix = ":" + std::to_string(st.st_ino);
    while (std::getline(locks, line)) {
      std::istringstream fields(line);
      std::string number, kind, mode, access, pid, device_inode;
      if (!(fields >> number >> kind)) continue;
      if (kind == "->") fields >> kind;  // a waiter, listed after the holder
      if (!(fields >> mode >> access >> pid >> device_inode)) continue;
      if (kind != "FLOCK" || !device_inode.ends_with(inode_suffix)) continue;
      std::ifstream cmdline("/proc/" + pid + "/cmdline");
      std::string command((std::istreambuf_iterator<char>(cmdline)), std::istreambuf_iterator<char>());
      std::replace(command.begin(), command.end(), '\0', ' ');
      while (!command.empty() && command.back() == ' ') command.pop_back();
      return command.empty() ? fmt::format("process {}", pid) : fmt::format("process {} ({})", pid, command);
    }
    return "";
  }

  Result<std::unique_ptr<FileLock>> TryLockShared(const std::string& path) override {
    return FlockFile(path, O_RDONLY, LOCK_SH | LOCK_NB);  // O_RDONLY: readers may lack write access
  }

  Result<std::unique_ptr<FileWatch>> Watch(const std::string& path) override {
    int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) return ErrnoStatus("inotify_init for", path, errno);
    if (inotify_add_watch(fd, path.c_str(), IN_MODIFY | IN_ATTRIB | IN_MOVE_SELF | IN_DELETE_SELF) < 0) {
      int err = errno;
      close(fd);
      if (err == ENOENT) return Status::NotFound(fmt::format("watch {}: no such file", path));
      return ErrnoStatus("watch", path, err);
    }
    return std::unique_ptr<FileWatch>(new InotifyWatch(fd));
  }

  Result<std::unique_ptr<SharedRegion>> OpenShared(const std::string& path, size_t size) override {
    struct stat st;
    EVLOG_ASSIGN_OR_RETURN(int fd, OpenRegularFile(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, &st));
    // Allocated, not sparse: a store into a hole of a shared mapping needs a block at fault
    // time, and on a full disk the kernel answers with SIGBUS, not an error. (A copy-on-write
    // file system may still need space when a page is written again: there, a full disk can
    // stop a process that hands over.) Extending never shrinks what another process mapped,
    // and two allocating at once agree; a file that has its size was allocated by whoever
    // extended it. A file system without fallocate gives an error here.
    if (static_cast<uint64_t>(st.st_size) < size && fallocate(fd, 0, 0, static_cast<off_t>(size)) != 0) {
      int err = errno;
      close(fd);
      return ErrnoStatus("allocate", path, err);
    }
    void* base = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED) {
      int err = errno;
      close(fd);
      return ErrnoStatus("map", path, err);
    }
    return std::unique_ptr<SharedRegion>(new PosixSharedRegion(fd, base, size, path));
  }
};

}  // namespace

FileSystem* PosixFileSystem() {
  static PosixFs* fs = new PosixFs();  // never destroyed: used until exit
  return fs;
}

}  // namespace eventlog
