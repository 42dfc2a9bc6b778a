// File-level care for the consumer-group store (format-spec §11) that LMDB leaves to its
// caller: checking data.mdb before it is mapped, creating it atomically, and syncing the
// directories it creates in.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "eventlog/status.h"

namespace eventlog {

// Checks the group store at `store_dir` (LOG/groups) before LMDB opens it, which follows links
// and opens whatever it finds: the directory, lock.mdb and data.mdb must each be absent or a
// real directory / regular file, never a symbolic link (a link planted in the log must not
// redirect the store's writes elsewhere) or a special file. Then data.mdb must hold every page
// its newest meta page declares: LMDB maps the file and would take SIGBUS on a page past its
// end. An empty data.mdb, or one shorter than its two meta pages, is damage too: evlog creates
// data.mdb complete (CreateGroupStoreData), so only a truncation leaves one (format-spec §11).
// kCorruption naming the file otherwise.
Status CheckGroupStoreFiles(const std::string& store_dir);

// kCorruption for a damaged data.mdb at `data_path`: names the file, says what is wrong
// (`detail`) and what to do about it.
Status GroupStoreDamaged(const std::string& data_path, std::string_view detail);

// Creates `store_dir`/data.mdb so that it appears, after a crash at any point, either complete
// or not at all: `initialise` builds a complete store in the empty build directory it is
// given (inside `store_dir`), whose data.mdb is then synced and linked into place, and
// `store_dir` synced. Another process's data.mdb, linked first, is kept and is no error.
// A crash leaves at most an inert build directory, `store_dir`/building-*.tmp, which its
// creator holds an flock on while it lives.
Status CreateGroupStoreData(const std::string& store_dir,
                            const std::function<Status(const std::string& build_dir)>& initialise);

// Best effort: removes the build directories that crashed creators left in `store_dir`, those
// whose flock nobody holds and that have not changed for some seconds (a live creator may be
// between its mkdir and its flock). Only a writer calls it: readers never write in groups/.
void RemoveAbandonedBuildDirectories(const std::string& store_dir);

// fsync(2) of a directory, so that the entries created in it survive a power loss.
Status SyncDirectory(const std::string& path);

}  // namespace eventlog
