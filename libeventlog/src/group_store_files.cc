#include "group_store_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <optional>

#include <fmt/format.h>

#include "coding.h"

namespace eventlog {
namespace {

// LMDB 0.9's on-disk meta page (mdb.c, 64-bit builds): a 16-byte page header, then MDB_meta.
// Pages 0 and 1 each hold one; the one with the larger txnid is current.
constexpr uint64_t kPageHeader = 16;
constexpr uint64_t kMagicAt = kPageHeader + 0;          // u32 mm_magic
constexpr uint64_t kVersionAt = kPageHeader + 4;        // u32 mm_version
constexpr uint64_t kPageSizeAt = kPageHeader + 24;      // u32 mm_dbs[FREE_DBI].md_pad = page size
constexpr uint64_t kFreeRootAt = kPageHeader + 24 + 40;  // pgno_t mm_dbs[FREE_DBI].md_root
constexpr uint64_t kMainRootAt = kPageHeader + 72 + 40;  // pgno_t mm_dbs[MAIN_DBI].md_root
constexpr uint64_t kLastPageAt = kPageHeader + 120;     // pgno_t mm_last_pg
constexpr uint64_t kTxnIdAt = kPageHeader + 128;        // txnid_t mm_txnid
constexpr uint64_t kMetaEnd = kPageHeader + 136;
constexpr uint32_t kMagic = 0xBEEFC0DE;
constexpr uint32_t kDataVersion = 1;
constexpr uint64_t kNoPage = UINT64_MAX;  // P_INVALID: an empty tree has no root

struct MetaPage {
  uint64_t page_size;
  uint64_t last_page;
  uint64_t txn_id;
  uint64_t roots[2];
};

std::optional<MetaPage> ReadMeta(int fd, uint64_t at) {
  char b[kMetaEnd];
  if (pread(fd, b, sizeof b, static_cast<off_t>(at)) != static_cast<ssize_t>(sizeof b)) return std::nullopt;
  if (GetFixed32(b + kMagicAt) != kMagic || GetFixed32(b + kVersionAt) != kDataVersion) return std::nullopt;
  return MetaPage{GetFixed32(b + kPageSizeAt), GetFixed64(b + kLastPageAt), GetFixed64(b + kTxnIdAt),
                  {GetFixed64(b + kFreeRootAt), GetFixed64(b + kMainRootAt)}};
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
  std::optional<MetaPage> first, second;
  const bool statted = fstat(fd, &st) == 0;
  if (statted && st.st_size > 0) {
    first = ReadMeta(fd, 0);
    if (first && first->page_size >= kMetaEnd && first->page_size <= (1u << 16)) second = ReadMeta(fd, first->page_size);
  }
  close(fd);
  if (!statted) return Status::IOError(fmt::format("{}: stat: {}", path, std::strerror(errno)));
  if (!S_ISREG(st.st_mode)) return Status::Corruption(path + ": not a regular file");
  if (st.st_size == 0) return Status::Ok();  // created but never initialised: LMDB writes its metas
  auto damaged = [&](const std::string& why) {
    return Status::Corruption(fmt::format(
        "{}: the consumer-group store is damaged or truncated ({} bytes: {}); group positions cannot be read. "
        "Move LOG/groups aside (the positions are then lost; set them again with `evlog groups -g G --reset-to`)",
        path, st.st_size, why));
  };
  if (!first || !second || second->page_size != first->page_size) return damaged("its meta pages do not verify");
  const MetaPage& meta = second->txn_id > first->txn_id ? *second : *first;
  const uint64_t pages = static_cast<uint64_t>(st.st_size) / meta.page_size;
  for (uint64_t root : meta.roots) {
    if (root != kNoPage && root > meta.last_page) return damaged("a tree root lies past its last page");
  }
  if (meta.last_page >= pages) {
    return damaged(fmt::format("it declares {} pages of {} bytes, the file holds {}", meta.last_page + 1,
                               meta.page_size, pages));
  }
  return Status::Ok();
}

}  // namespace

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
