#include "group_store_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "lmdb_layout.h"

namespace eventlog {
namespace {

namespace layout = lmdb_layout;

std::optional<layout::Meta> ReadMeta(int fd, uint64_t at) {
  char b[layout::kMetaEnd];
  if (pread(fd, b, sizeof b, static_cast<off_t>(at)) != static_cast<ssize_t>(sizeof b)) return std::nullopt;
  return layout::DecodeMeta(b);
}

// An entry of the store: absent, or a real directory / regular file as `directory` says.
Status CheckEntry(const std::string& path, bool directory) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::Ok();
    return Status::IOError(fmt::format("{}: {}", path, std::strerror(errno)));
  }
  if (directory ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode)) return Status::Ok();
  const char* found = S_ISLNK(st.st_mode)   ? "a symbolic link"
                      : S_ISFIFO(st.st_mode) ? "a FIFO"
                      : S_ISDIR(st.st_mode)  ? "a directory"
                      : S_ISREG(st.st_mode)  ? "a regular file"
                                             : "a special file";
  return Status::Corruption(fmt::format(
      "{}: is {}, not {}; evlog never follows links or opens special files inside a log. Put the real one back "
      "(or move LOG/groups aside, losing the group positions)",
      path, found, directory ? "a directory" : "a regular file"));
}

// Checks that `path` (an LMDB data.mdb, or absent) holds every page its newest meta page
// declares.
Status CheckLmdbDataFile(const std::string& path) {
  // O_NONBLOCK: a FIFO planted as data.mdb would otherwise block the open until a writer
  // came, forever; it is then refused below as not a regular file.
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT) return Status::Ok();  // a new store: LMDB creates it
    return Status::IOError(fmt::format("{}: open: {}", path, std::strerror(errno)));
  }
  struct stat st;
  std::optional<layout::Meta> first, second;
  const bool statted = fstat(fd, &st) == 0;
  if (statted && st.st_size > 0) {
    first = ReadMeta(fd, 0);
    if (first && layout::ValidPageSize(first->page_size)) second = ReadMeta(fd, first->page_size);
  }
  close(fd);
  if (!statted) return Status::IOError(fmt::format("{}: stat: {}", path, std::strerror(errno)));
  if (!S_ISREG(st.st_mode)) return Status::Corruption(path + ": not a regular file");
  // Never "not initialised yet": data.mdb only ever appears complete (CreateGroupStoreData).
  // Read as a new store, it would lose every group's position, and compaction would then
  // remove the events the groups have not processed.
  if (st.st_size == 0) {
    return Status::Corruption(fmt::format(
        "{}: the consumer-group store is empty (0 bytes), so the group positions cannot be read. If no group of this "
        "log was ever acknowledged, an older evlog that crashed while creating the store left it: remove this file. "
        "Otherwise it was truncated and the positions are lost: move LOG/groups aside and set them again with "
        "`evlog groups LOG -g G --reset-to OFFSET --create --execute`",
        path));
  }
  auto damaged = [&](const std::string& why) {
    return GroupStoreDamaged(path, fmt::format("{} bytes: {}", st.st_size, why));
  };
  if (!first || !second || second->page_size != first->page_size) return damaged("its meta pages do not verify");
  const layout::Meta& meta = second->txn_id > first->txn_id ? *second : *first;
  const uint64_t pages = static_cast<uint64_t>(st.st_size) / meta.page_size;
  for (uint64_t root : {meta.free_tree.root, meta.main_tree.root}) {
    if (root != layout::kNoPage && root > meta.last_page) return damaged("a tree root lies past its last page");
  }
  if (meta.last_page >= pages) {
    return damaged(fmt::format("it declares {} pages of {} bytes, the file holds {}", meta.last_page + 1,
                               meta.page_size, pages));
  }
  return Status::Ok();
}

// fsync(2) of the file or directory at `path`, opened with `flags` besides O_RDONLY.
Status SyncPath(const std::string& path, int flags) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | flags);
  if (fd < 0) return Status::IOError(fmt::format("{}: open: {}", path, std::strerror(errno)));
  const int rc = fsync(fd);
  const int err = errno;
  close(fd);
  if (rc != 0) return Status::IOError(fmt::format("{}: fsync: {}", path, std::strerror(err)));
  return Status::Ok();
}

// A build directory this recent may belong to a creator between its mkdir and its flock.
constexpr time_t kAbandonedAfterSeconds = 10;

// A build directory and the descriptor whose flock says its creator is alive.
struct BuildDirectory {
  std::string path;
  int lock_fd = -1;
};

// A new, empty directory in `store_dir` that no other creator uses, locked for as long as
// its creator lives: named by this process and a counter, so that threads and a leftover of
// a dead process with the same pid never share one.
Result<BuildDirectory> MakeBuildDirectory(const std::string& store_dir) {
  static std::atomic<uint64_t> counter{0};
  for (;;) {
    std::string dir = fmt::format("{}/building-{}-{}.tmp", store_dir, getpid(), counter++);
    if (mkdir(dir.c_str(), 0755) != 0) {
      if (errno == EEXIST) continue;
      return Status::IOError(fmt::format("create directory {}: {}", dir, std::strerror(errno)));
    }
    const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || flock(fd, LOCK_EX) != 0) {
      const Status error = Status::IOError(fmt::format("lock directory {}: {}", dir, std::strerror(errno)));
      if (fd >= 0) close(fd);
      rmdir(dir.c_str());
      return error;
    }
    return BuildDirectory{std::move(dir), fd};
  }
}

// Best effort: a build directory left behind is inert (nothing reads it), and its data.mdb is
// at worst a second name of the store's.
void RemoveBuildDirectory(const std::string& dir) {
  for (const char* name : {"/data.mdb", "/lock.mdb"}) unlink((dir + name).c_str());
  rmdir(dir.c_str());
}

bool IsBuildDirectoryName(std::string_view name) {
  return name.starts_with("building-") && name.ends_with(".tmp") && name.size() > 13;
}

}  // namespace

Status GroupStoreDamaged(const std::string& data_path, std::string_view detail) {
  return Status::Corruption(fmt::format(
      "{}: the consumer-group store is damaged or truncated ({}); group positions cannot be read. "
      "Move LOG/groups aside (the positions are then lost; set them again with `evlog groups -g G --reset-to`)",
      data_path, detail));
}

Status CheckGroupStoreFiles(const std::string& store_dir) {
  EVLOG_RETURN_IF_ERROR(CheckEntry(store_dir, /*directory=*/true));
  EVLOG_RETURN_IF_ERROR(CheckEntry(store_dir + "/lock.mdb", /*directory=*/false));
  EVLOG_RETURN_IF_ERROR(CheckEntry(store_dir + "/data.mdb", /*directory=*/false));
  return CheckLmdbDataFile(store_dir + "/data.mdb");
}

Status SyncDirectory(const std::string& path) { return SyncPath(path, O_DIRECTORY); }

Status CreateGroupStoreData(const std::string& store_dir,
                            const std::function<Status(const std::string& build_dir)>& initialise) {
  EVLOG_ASSIGN_OR_RETURN(BuildDirectory build, MakeBuildDirectory(store_dir));
  const std::string built = build.path + "/data.mdb";
  const std::string data_path = store_dir + "/data.mdb";
  Status status = initialise(build.path);
  // The data, and the size, before the name: a data.mdb that survives a crash is complete.
  if (status.ok()) status = SyncPath(built, O_NOFOLLOW);
  // link(2), not rename(2): rename would replace a data.mdb another process created
  // meanwhile, and positions it has committed to it since. EEXIST: that one is kept.
  if (status.ok() && link(built.c_str(), data_path.c_str()) != 0 && errno != EEXIST) {
    status = Status::IOError(fmt::format("{}: link from {}: {}", data_path, built, std::strerror(errno)));
  }
  // Also when another process linked it: it may have died before syncing the directory,
  // and positions committed to an entry that is not durable would be lost with it.
  if (status.ok()) status = SyncDirectory(store_dir);
  // The build directory is never synced: only data.mdb's entry in `store_dir` must survive a
  // crash, and a crash either way leaves a complete data.mdb or none.
  RemoveBuildDirectory(build.path);
  close(build.lock_fd);
  return status;
}

void RemoveAbandonedBuildDirectories(const std::string& store_dir) {
  DIR* dir = opendir(store_dir.c_str());
  if (dir == nullptr) return;
  std::vector<std::string> found;
  while (const dirent* entry = readdir(dir)) {
    if (IsBuildDirectoryName(entry->d_name)) found.push_back(store_dir + "/" + entry->d_name);
  }
  closedir(dir);
  for (const std::string& path : found) {
    const int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) continue;
    struct stat st;
    if (fstat(fd, &st) == 0 && st.st_mtime + kAbandonedAfterSeconds < time(nullptr) &&
        flock(fd, LOCK_EX | LOCK_NB) == 0) {
      RemoveBuildDirectory(path);
    }
    close(fd);
  }
}

}  // namespace eventlog
