#include "group_store_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <optional>

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
  if (st.st_size == 0) return Status::Ok();  // created but never initialised: LMDB writes its metas
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

Status SyncDirectory(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::IOError(fmt::format("{}: open: {}", path, std::strerror(errno)));
  const int rc = fsync(fd);
  const int err = errno;
  close(fd);
  if (rc != 0) return Status::IOError(fmt::format("{}: fsync: {}", path, std::strerror(err)));
  return Status::Ok();
}

}  // namespace eventlog
