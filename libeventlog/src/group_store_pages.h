// A structural check of the B-trees in the group store's data.mdb (format-spec §11.2).
//
// LMDB trusts its pages: a data.mdb whose meta pages are intact but whose other pages are
// garbage makes it read outside a page, loop, or abort on an assertion, killing whatever
// process opened the store. This check reads every page LMDB could reach from one snapshot
// and refuses the store, as corruption, before LMDB uses any of them.
#pragma once

#include <string>
#include <vector>

#include "eventlog/status.h"

namespace eventlog {

// Checks the trees of `data_path` (LOG/groups/data.mdb, already accepted by
// CheckGroupStoreFiles) as of its newest snapshot. Other processes may commit throughout, so
// the caller holds a read transaction of the store open during the whole call: LMDB then
// reuses no page of that snapshot or of any later one. kCorruption naming the file, the
// page and what is wrong with it; kIOError if the file cannot be read; kBusy if the meta
// pages kept changing under the reads.
Status CheckGroupStorePages(const std::string& data_path);

// One record of a named database: its database's name, its key and its value.
struct GroupStoreRecord {
  std::string database;
  std::string key;
  std::string value;
};

// Every record of the named databases of `data_path`'s newest snapshot, read with pread and
// checked as CheckGroupStorePages checks, without LMDB and so without writing its lock file:
// for readers that may not write the store. Commits by other processes are neither blocked
// nor disturbed; a snapshot that a commit may have changed while it was read is read again.
// Errors as CheckGroupStorePages; kBusy if commits never left a snapshot alone long enough.
Result<std::vector<GroupStoreRecord>> ReadGroupStoreRecords(const std::string& data_path);

}  // namespace eventlog
