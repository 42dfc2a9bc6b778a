// A structural check of the B-trees in the group store's data.mdb (format-spec §11.2).
//
// LMDB trusts its pages: a data.mdb whose meta pages are intact but whose other pages are
// garbage makes it read outside a page, loop, or abort on an assertion, killing whatever
// process opened the store. This check reads every page LMDB could reach from one snapshot
// and refuses the store, as corruption, before LMDB uses any of them.
#pragma once

#include <string>

#include "eventlog/status.h"

namespace eventlog {

// Checks the trees of `data_path` (LOG/groups/data.mdb, already accepted by
// CheckGroupStoreFiles) as of its newest snapshot. Other processes may commit throughout, so
// the caller holds a read transaction of the store open during the whole call: LMDB then
// reuses no page of that snapshot or of any later one. kCorruption naming the file, the
// page and what is wrong with it; kIOError if the file cannot be read; kBusy if the meta
// pages kept changing under the reads.
Status CheckGroupStorePages(const std::string& data_path);

}  // namespace eventlog
