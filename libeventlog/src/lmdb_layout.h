// The on-disk layout of LMDB 0.9's data.mdb (64-bit little-endian builds), for the checks
// evlog makes before LMDB trusts the file (format-spec §11, §11.2). The format is LMDB's, not
// ours, and LMDB documents it only in its source: the structs MDB_page, MDB_node, MDB_db and
// MDB_meta and the flag definitions of libraries/liblmdb/mdb.c. evlog only reads these bytes.
#pragma once

#include <cstdint>
#include <optional>

#include "coding.h"

namespace eventlog::lmdb_layout {

// Page header (MDB_page), 16 bytes: u64 page number, u16 unused, u16 flags, then either u16
// lower and u16 upper bounds of a branch or leaf page's free space, or the u32 page count of
// an overflow run. A branch or leaf page continues with an array of u16 node offsets, counted
// from the start of the page, up to `lower`; its nodes lie between `upper` and the page end.
constexpr uint64_t kPageHeaderSize = 16;
constexpr uint64_t kPageNumberAt = 0;
constexpr uint64_t kPageFlagsAt = 10;
constexpr uint64_t kLowerAt = 12;
constexpr uint64_t kUpperAt = 14;
constexpr uint64_t kOverflowPagesAt = 12;
constexpr uint16_t kBranchPage = 0x01;
constexpr uint16_t kLeafPage = 0x02;
constexpr uint16_t kOverflowPage = 0x04;
constexpr uint16_t kLeaf2Page = 0x20;  // MDB_DUPFIXED records: evlog never creates them
constexpr uint16_t kSubPage = 0x40;    // MDB_DUPSORT sub-pages: evlog never creates them

// Node (MDB_node), 8 bytes then the key, then (leaf nodes) the data: u16 lo, u16 hi, u16
// flags, u16 key size. A leaf node's data size is lo | hi << 16; a branch node's child page is
// lo | hi << 16 | flags << 32 (branch nodes have no flags).
constexpr uint64_t kNodeHeaderSize = 8;
constexpr uint64_t kNodeLoAt = 0;
constexpr uint64_t kNodeHiAt = 2;
constexpr uint64_t kNodeFlagsAt = 4;
constexpr uint64_t kNodeKeySizeAt = 6;
constexpr uint16_t kBigData = 0x01;      // the data is a u64 page number of an overflow run
constexpr uint16_t kSubDatabase = 0x02;  // the data is a tree record of a named database
constexpr uint16_t kDuplicates = 0x04;   // MDB_DUPSORT data: evlog never creates it
constexpr uint64_t kMaxKeySize = 511;    // LMDB 0.9's MDB_MAXKEYSIZE
constexpr uint64_t kMaxDepth = 32;       // LMDB's cursor stack (CURSOR_STACK)

// Tree record (MDB_db), 48 bytes: u32 pad (the page size in the meta's free-list record), u16
// flags, u16 depth, u64 branch, leaf and overflow page counts, u64 entries, u64 root page.
constexpr uint64_t kTreeRecordSize = 48;
constexpr uint64_t kTreePadAt = 0;
constexpr uint64_t kTreeFlagsAt = 4;
constexpr uint64_t kTreeDepthAt = 6;
constexpr uint64_t kTreeRootAt = 40;
constexpr uint64_t kNoPage = UINT64_MAX;  // P_INVALID: the root of an empty tree

// Meta page (MDB_meta after a page header): u32 magic, u32 version, u64 address, u64 map
// size, the free-list tree record, the main tree record, u64 last page, u64 txnid. Pages 0
// and 1 each hold one; a commit writes the older one, so the newer one is current.
constexpr uint64_t kMetaMagicAt = kPageHeaderSize + 0;
constexpr uint64_t kMetaVersionAt = kPageHeaderSize + 4;
constexpr uint64_t kMetaFreeTreeAt = kPageHeaderSize + 24;
constexpr uint64_t kMetaMainTreeAt = kMetaFreeTreeAt + kTreeRecordSize;
constexpr uint64_t kMetaLastPageAt = kMetaMainTreeAt + kTreeRecordSize;
constexpr uint64_t kMetaTxnIdAt = kMetaLastPageAt + 8;
constexpr uint64_t kMetaEnd = kMetaTxnIdAt + 8;
constexpr uint32_t kMagic = 0xBEEFC0DE;
constexpr uint32_t kDataVersion = 1;
constexpr uint64_t kMetaPages = 2;
static_assert(kMetaEnd == 152, "MDB_meta is 136 bytes after the page header");

// LMDB 0.9 uses the OS page size, at most 32 KiB (its MAX_PAGESIZE); node offsets are u16.
constexpr uint64_t kMinPageSize = 512;
constexpr uint64_t kMaxPageSize = 32768;

struct Tree {
  uint16_t flags;
  uint16_t depth;
  uint64_t root;
};

struct Meta {
  uint64_t page_size;  // the free-list record's pad
  Tree free_tree;
  Tree main_tree;
  uint64_t last_page;
  uint64_t txn_id;
};

inline Tree DecodeTree(const char* record) {
  return Tree{GetFixed16(record + kTreeFlagsAt), GetFixed16(record + kTreeDepthAt), GetFixed64(record + kTreeRootAt)};
}

// The meta page whose first kMetaEnd bytes are `page`; nullopt without LMDB's magic and
// version. The page size is returned as found: the caller checks it.
inline std::optional<Meta> DecodeMeta(const char* page) {
  if (GetFixed32(page + kMetaMagicAt) != kMagic || GetFixed32(page + kMetaVersionAt) != kDataVersion) {
    return std::nullopt;
  }
  return Meta{GetFixed32(page + kMetaFreeTreeAt + kTreePadAt), DecodeTree(page + kMetaFreeTreeAt),
              DecodeTree(page + kMetaMainTreeAt), GetFixed64(page + kMetaLastPageAt), GetFixed64(page + kMetaTxnIdAt)};
}

inline bool ValidPageSize(uint64_t size) {
  return size >= kMinPageSize && size <= kMaxPageSize && (size & (size - 1)) == 0;
}

}  // namespace eventlog::lmdb_layout
