// Walks every tree of one snapshot of data.mdb (format-spec §11.2), reading pages with pread:
// LMDB's map is not touched, so a damaged page costs an error, never a signal. Every length
// and offset read from the file is checked before it is used, and nothing is allocated by a
// size read from the file beyond what the file holds.
#include "group_store_pages.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "group_store_files.h"
#include "lmdb_layout.h"

namespace eventlog {
namespace {

namespace layout = lmdb_layout;

constexpr int kMetaReadAttempts = 100;

enum class TreeKind { kFreeList, kMain, kNamed };

struct TreeInfo {
  std::string name;  // for messages
  TreeKind kind;
  uint64_t depth;
};

// A node of a branch or leaf page whose header and in-page bytes lie inside the page.
struct Node {
  uint64_t offset;
  uint64_t size;  // header, key and, on a leaf, the data kept in the page
  uint16_t flags;
  uint64_t key_size;
  uint64_t lo_hi;  // a leaf's data size; a branch's child page, less its top 16 bits (in flags)
};

// A name read from the file, fit to print: it may hold any bytes.
std::string Printable(std::string_view bytes) {
  std::string out;
  for (char c : bytes.substr(0, 64)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return out;
}

class TreeWalker {
 public:
  // With `records`, every record of the named databases is also copied there.
  TreeWalker(int fd, const std::string& path, uint64_t page_size, uint64_t last_page,
             std::vector<GroupStoreRecord>* records = nullptr)
      : fd_(fd),
        path_(path),
        page_size_(page_size),
        last_page_(last_page),
        reached_(last_page + 1, false),
        records_(records) {}

  // Checks the tree `record` describes, and for the main tree every named database in it.
  // `from` says where the record was found, for messages.
  Status Walk(const layout::Tree& record, const std::string& name, TreeKind kind, uint64_t from) {
    if (record.root == layout::kNoPage) return Status::Ok();  // an empty tree
    TreeInfo tree{name, kind, record.depth};
    if (record.depth == 0 || record.depth > layout::kMaxDepth) {
      return Damaged(from, tree, fmt::format("the tree's depth is {}; LMDB's trees are 1 to {} deep", record.depth,
                                             layout::kMaxDepth));
    }
    EVLOG_RETURN_IF_ERROR(Claim(record.root, 1, from, tree));
    return Visit(record.root, 1, tree);
  }

 private:
  Status Damaged(uint64_t page, const TreeInfo& tree, std::string_view what) const {
    return GroupStoreDamaged(path_, fmt::format("page {} of the {}: {}", page, tree.name, what));
  }

  // Pages [first, first + count) now belong to `tree`: inside the file's tree pages and
  // reached by nothing before (which rules out cycles and pages shared by two parents).
  Status Claim(uint64_t first, uint64_t count, uint64_t from, const TreeInfo& tree) {
    if (first < layout::kMetaPages || first > last_page_ || count > last_page_ + 1 - first) {
      const std::string pages = count == 1 ? fmt::format("page {}", first)
                                           : fmt::format("pages {} to {}", first, first + count - 1);
      return Damaged(from, tree, fmt::format("it refers to {}, outside the file's pages {} to {}", pages,
                                             layout::kMetaPages, last_page_));
    }
    for (uint64_t page = first; page < first + count; ++page) {
      if (reached_[page]) {
        return Damaged(from, tree, fmt::format("it refers to page {}, which was reached before (a cycle, or a page "
                                               "with two parents)", page));
      }
      reached_[page] = true;
    }
    return Status::Ok();
  }

  // Reads `bytes` bytes at page `first`; the caller has claimed the pages they span.
  Status Read(uint64_t first, uint64_t bytes, std::vector<char>* out) const {
    out->resize(bytes);
    const ssize_t got = pread(fd_, out->data(), bytes, static_cast<off_t>(first * page_size_));
    if (got < 0) return Status::IOError(fmt::format("{}: read page {}: {}", path_, first, std::strerror(errno)));
    if (static_cast<uint64_t>(got) != bytes) {
      return GroupStoreDamaged(path_, fmt::format("page {} lies past the end of the file", first));
    }
    return Status::Ok();
  }

  Status Visit(uint64_t number, uint64_t level, const TreeInfo& tree) {
    std::vector<char> page;
    EVLOG_RETURN_IF_ERROR(Read(number, page_size_, &page));
    const uint64_t stored = GetFixed64(page.data() + layout::kPageNumberAt);
    if (stored != number) return Damaged(number, tree, fmt::format("its header calls it page {}", stored));
    const bool leaf = level == tree.depth;
    const uint16_t flags = GetFixed16(page.data() + layout::kPageFlagsAt);
    if (flags != (leaf ? layout::kLeafPage : layout::kBranchPage)) {
      return Damaged(number, tree, fmt::format("its flags are {:#x}, not those of a {} page (level {} of {}){}", flags,
                                               leaf ? "leaf" : "branch", level, tree.depth,
                                               (flags & (layout::kLeaf2Page | layout::kSubPage)) != 0
                                                   ? "; evlog's store has no MDB_DUPSORT pages"
                                                   : ""));
    }
    std::vector<Node> nodes;
    EVLOG_RETURN_IF_ERROR(ReadNodes(page, number, leaf, tree, &nodes));
    for (size_t i = 0; i < nodes.size(); ++i) {
      const Node& node = nodes[i];
      if (leaf) {
        EVLOG_RETURN_IF_ERROR(CheckLeafNode(page.data() + node.offset, node, number, i, tree));
        continue;
      }
      const uint64_t child = node.lo_hi | (static_cast<uint64_t>(node.flags) << 32);
      EVLOG_RETURN_IF_ERROR(Claim(child, 1, number, tree));
      EVLOG_RETURN_IF_ERROR(Visit(child, level + 1, tree));
    }
    return Status::Ok();
  }

  // The page's node offsets, each node inside the page's node area, none overlapping another.
  Status ReadNodes(const std::vector<char>& page, uint64_t number, bool leaf, const TreeInfo& tree,
                   std::vector<Node>* nodes) const {
    const uint64_t lower = GetFixed16(page.data() + layout::kLowerAt);
    const uint64_t upper = GetFixed16(page.data() + layout::kUpperAt);
    if (lower < layout::kPageHeaderSize || lower > upper || upper > page_size_ ||
        (lower - layout::kPageHeaderSize) % 2 != 0) {
      return Damaged(number, tree, fmt::format("its free space runs from {} to {}, which does not fit a page of {} "
                                               "bytes", lower, upper, page_size_));
    }
    // LMDB asserts that a branch page has two children or more (the free-list tree may keep
    // one while LMDB rebalances it); an empty leaf is never left behind.
    const uint64_t count = (lower - layout::kPageHeaderSize) / 2;
    const uint64_t least = leaf ? 1 : (tree.kind == TreeKind::kFreeList ? 1 : 2);
    if (count < least) return Damaged(number, tree, fmt::format("it holds {} nodes, fewer than {}", count, least));
    for (uint64_t i = 0; i < count; ++i) {
      const uint64_t at = GetFixed16(page.data() + layout::kPageHeaderSize + 2 * i);
      if (at < upper || at % 2 != 0 || at + layout::kNodeHeaderSize > page_size_) {
        return Damaged(number, tree, fmt::format("node {} at offset {} is outside the node area {} to {}", i, at,
                                                 upper, page_size_));
      }
      const char* n = page.data() + at;
      Node node{at, 0, GetFixed16(n + layout::kNodeFlagsAt), GetFixed16(n + layout::kNodeKeySizeAt),
                GetFixed16(n + layout::kNodeLoAt) | (static_cast<uint64_t>(GetFixed16(n + layout::kNodeHiAt)) << 16)};
      const uint64_t data_in_page = !leaf ? 0 : (node.flags & layout::kBigData) != 0 ? 8 : node.lo_hi;
      node.size = layout::kNodeHeaderSize + node.key_size + data_in_page;
      if (node.key_size > layout::kMaxKeySize || node.size > page_size_ - at) {
        return Damaged(number, tree, fmt::format("node {} at offset {} ({} bytes of key, {} of data) runs past the "
                                                 "page end", i, at, node.key_size, data_in_page));
      }
      nodes->push_back(node);
    }
    std::vector<Node> by_offset = *nodes;
    std::sort(by_offset.begin(), by_offset.end(), [](const Node& a, const Node& b) { return a.offset < b.offset; });
    for (size_t i = 1; i < by_offset.size(); ++i) {
      if (by_offset[i - 1].offset + by_offset[i - 1].size > by_offset[i].offset) {
        return Damaged(number, tree, fmt::format("the nodes at offsets {} and {} overlap", by_offset[i - 1].offset,
                                                 by_offset[i].offset));
      }
    }
    return Status::Ok();
  }

  Status CheckLeafNode(const char* n, const Node& node, uint64_t number, size_t index, const TreeInfo& tree) {
    const char* key = n + layout::kNodeHeaderSize;
    const char* data = key + node.key_size;
    if (tree.kind == TreeKind::kMain) {
      // evlog's main tree holds only the records of its named databases ("groups", "meta").
      if (node.flags != layout::kSubDatabase || node.lo_hi != layout::kTreeRecordSize) {
        return Damaged(number, tree, fmt::format("node {} (flags {:#x}, {} bytes of data) is not the record of a "
                                                 "named database", index, node.flags, node.lo_hi));
      }
      const layout::Tree record = layout::DecodeTree(data);
      database_ = std::string(key, node.key_size);  // named databases hold no trees: no nesting
      const std::string name = fmt::format("'{}' tree", Printable(database_));
      if (record.flags != 0) {
        return Damaged(number, tree, fmt::format("the {} has flags {:#x}; evlog's named databases have none", name,
                                                 record.flags));
      }
      return Walk(record, name, TreeKind::kNamed, number);
    }
    if ((node.flags & ~layout::kBigData) != 0) {
      return Damaged(number, tree, fmt::format("node {} has flags {:#x}; evlog's values are plain{}", index,
                                               node.flags,
                                               (node.flags & layout::kDuplicates) != 0 ? " (no MDB_DUPSORT)" : ""));
    }
    std::vector<char> overflow;
    const bool collect = records_ != nullptr && tree.kind == TreeKind::kNamed;
    if ((node.flags & layout::kBigData) != 0) {
      const bool read_value = tree.kind == TreeKind::kFreeList || collect;
      EVLOG_RETURN_IF_ERROR(CheckOverflow(GetFixed64(data), node.lo_hi, number, tree, read_value ? &overflow : nullptr));
      // Only a value that was read has bytes to point at: an empty vector's data() may be
      // null, and null plus an offset is undefined behaviour (clang's UBSan stops on it).
      if (!read_value) return Status::Ok();
      data = overflow.data() + layout::kPageHeaderSize;
    }
    if (collect) records_->push_back({database_, std::string(key, node.key_size), std::string(data, node.lo_hi)});
    if (tree.kind != TreeKind::kFreeList) return Status::Ok();
    return CheckFreeListRecord(node.key_size, std::string_view(data, node.lo_hi), number, index, tree);
  }

  // An overflow run holding a value of `size` bytes; its bytes into `content` if asked for.
  Status CheckOverflow(uint64_t first, uint64_t size, uint64_t from, const TreeInfo& tree,
                       std::vector<char>* content) {
    EVLOG_RETURN_IF_ERROR(Claim(first, 1, from, tree));
    std::vector<char> head;
    EVLOG_RETURN_IF_ERROR(Read(first, layout::kPageHeaderSize, &head));
    const uint64_t stored = GetFixed64(head.data() + layout::kPageNumberAt);
    const uint16_t flags = GetFixed16(head.data() + layout::kPageFlagsAt);
    const uint64_t pages = GetFixed32(head.data() + layout::kOverflowPagesAt);
    if (stored != first) return Damaged(first, tree, fmt::format("its header calls it page {}", stored));
    if (flags != layout::kOverflowPage) {
      return Damaged(first, tree, fmt::format("its flags are {:#x}, not those of an overflow page", flags));
    }
    const uint64_t needed = (layout::kPageHeaderSize + size + page_size_ - 1) / page_size_;
    if (pages < needed) {
      return Damaged(first, tree, fmt::format("an overflow run of {} pages cannot hold a value of {} bytes", pages,
                                              size));
    }
    EVLOG_RETURN_IF_ERROR(Claim(first + 1, pages - 1, first, tree));
    if (content != nullptr) return Read(first, layout::kPageHeaderSize + size, content);
    return Status::Ok();
  }

  // A free-list record: a txnid key, and a u64 count of free pages followed by their numbers
  // (LMDB may reserve room for more than the count).
  Status CheckFreeListRecord(uint64_t key_size, std::string_view data, uint64_t number, size_t index,
                             const TreeInfo& tree) const {
    if (key_size != 8 || data.size() < 8 || data.size() % 8 != 0) {
      return Damaged(number, tree, fmt::format("node {} has a key of {} bytes and {} bytes of data, not a txnid and "
                                               "a list of pages", index, key_size, data.size()));
    }
    const uint64_t count = GetFixed64(data.data());
    if (count > data.size() / 8 - 1) {
      return Damaged(number, tree, fmt::format("node {} lists {} free pages in room for {}", index, count,
                                               data.size() / 8 - 1));
    }
    for (uint64_t i = 1; i <= count; ++i) {
      const uint64_t page = GetFixed64(data.data() + 8 * i);
      if (page < layout::kMetaPages || page > last_page_) {
        return Damaged(number, tree, fmt::format("node {} lists free page {}, outside the file's pages {} to {}",
                                                 index, page, layout::kMetaPages, last_page_));
      }
    }
    return Status::Ok();
  }

  int fd_;
  const std::string& path_;
  uint64_t page_size_;
  uint64_t last_page_;
  std::vector<bool> reached_;
  std::vector<GroupStoreRecord>* records_;
  std::string database_;  // the named database being walked
};

enum class MetaRead { kSteady, kChanging, kInvalid };

// A meta page read twice with the same bytes, so not torn by a commit writing it meanwhile.
MetaRead ReadSteadyMeta(int fd, uint64_t at, layout::Meta* meta) {
  char first[layout::kMetaEnd], second[layout::kMetaEnd];
  if (pread(fd, first, sizeof first, static_cast<off_t>(at)) != static_cast<ssize_t>(sizeof first) ||
      pread(fd, second, sizeof second, static_cast<off_t>(at)) != static_cast<ssize_t>(sizeof second)) {
    return MetaRead::kInvalid;
  }
  if (std::memcmp(first, second, sizeof first) != 0) return MetaRead::kChanging;
  const std::optional<layout::Meta> decoded = layout::DecodeMeta(first);
  if (!decoded || !layout::ValidPageSize(decoded->page_size)) return MetaRead::kInvalid;
  *meta = *decoded;
  return MetaRead::kSteady;
}

// The newer meta page. A commit writes the older of the two, so the newer one stays steady
// until the next commit ends. Its txnid is at least that of any read transaction begun
// before (LMDB hands a txnid to readers once its meta page is written), and no page
// reachable from it is reused while such a reader lives: LMDB reuses only pages freed before
// the oldest reader's snapshot.
Result<layout::Meta> ReadNewestMeta(int fd, const std::string& path) {
  for (int attempt = 0; attempt < kMetaReadAttempts; ++attempt) {
    layout::Meta metas[2];
    const MetaRead first = ReadSteadyMeta(fd, 0, &metas[0]);
    const MetaRead second = first == MetaRead::kSteady ? ReadSteadyMeta(fd, metas[0].page_size, &metas[1]) : first;
    if (first == MetaRead::kChanging || second == MetaRead::kChanging) continue;
    if (second == MetaRead::kInvalid || metas[0].page_size != metas[1].page_size) {
      return GroupStoreDamaged(path, "its meta pages do not verify");
    }
    return metas[1].txn_id > metas[0].txn_id ? metas[1] : metas[0];
  }
  return Status::Busy(path + ": the group store's meta pages kept changing while being read");
}

// Walks the trees of the snapshot `meta` names, copying the named databases' records to
// `records` if it is not null.
Status WalkSnapshot(int fd, const std::string& data_path, const layout::Meta& meta,
                    std::vector<GroupStoreRecord>* records) {
  struct stat st;
  if (fstat(fd, &st) != 0) return Status::IOError(fmt::format("{}: stat: {}", data_path, std::strerror(errno)));
  const uint64_t pages = static_cast<uint64_t>(st.st_size) / meta.page_size;
  if (meta.last_page < layout::kMetaPages - 1 || meta.last_page >= pages) {
    return GroupStoreDamaged(data_path, fmt::format("its meta page declares {} pages, the file holds {}",
                                                    meta.last_page + 1, pages));
  }
  const uint64_t meta_page = meta.txn_id % 2;
  if (meta.main_tree.flags != 0) {
    return GroupStoreDamaged(data_path, fmt::format("page {}: the main tree's flags are {:#x}; evlog's store sets "
                                                    "none", meta_page, meta.main_tree.flags));
  }
  TreeWalker walker(fd, data_path, meta.page_size, meta.last_page, records);
  EVLOG_RETURN_IF_ERROR(walker.Walk(meta.free_tree, "free-list tree", TreeKind::kFreeList, meta_page));
  return walker.Walk(meta.main_tree, "main tree", TreeKind::kMain, meta_page);
}

Result<int> OpenDataFile(const std::string& data_path) {
  const int fd = open(data_path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) return Status::IOError(fmt::format("{}: open: {}", data_path, std::strerror(errno)));
  return fd;
}

}  // namespace

Status CheckGroupStorePages(const std::string& data_path) {
  EVLOG_ASSIGN_OR_RETURN(const int fd, OpenDataFile(data_path));
  Status status = [&]() -> Status {
    EVLOG_ASSIGN_OR_RETURN(const layout::Meta meta, ReadNewestMeta(fd, data_path));
    return WalkSnapshot(fd, data_path, meta, nullptr);
  }();
  close(fd);
  return status;
}

// No page of the newest snapshot S is written until a commit after it has ended: commit S+1
// writes only pages that S does not reach (taken from the free list, which S does not
// reach, or past S's last page) and the other meta page; only from commit S+2 on may the
// pages S+1 freed, which S reaches, be reused. So a walk of S that ends while S is still the
// newest read nothing but S's own bytes; otherwise it is repeated on the new snapshot.
Result<std::vector<GroupStoreRecord>> ReadGroupStoreRecords(const std::string& data_path) {
  EVLOG_ASSIGN_OR_RETURN(const int fd, OpenDataFile(data_path));
  Result<std::vector<GroupStoreRecord>> result = [&]() -> Result<std::vector<GroupStoreRecord>> {
    for (int attempt = 0; attempt < kMetaReadAttempts; ++attempt) {
      EVLOG_ASSIGN_OR_RETURN(const layout::Meta before, ReadNewestMeta(fd, data_path));
      std::vector<GroupStoreRecord> records;
      Status walked = WalkSnapshot(fd, data_path, before, &records);
      EVLOG_ASSIGN_OR_RETURN(const layout::Meta after, ReadNewestMeta(fd, data_path));
      if (after.txn_id != before.txn_id) continue;  // a commit ended meanwhile: what was read may be mixed
      if (!walked.ok()) return walked;
      return records;
    }
    return Status::Busy(data_path + ": the group store kept changing while being read");
  }();
  close(fd);
  return result;
}

}  // namespace eventlog
