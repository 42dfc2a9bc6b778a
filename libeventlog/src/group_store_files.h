// File-level care for the consumer-group store (format-spec §11) that LMDB leaves to its
// caller: checking data.mdb before it is mapped, and syncing the directories it creates in.
#pragma once

#include <string>
#include <string_view>

#include "eventlog/status.h"

namespace eventlog {

// Checks the group store at `store_dir` (LOG/groups) before LMDB opens it, which follows links
// and opens whatever it finds: the directory, lock.mdb and data.mdb must each be absent or a
// real directory / regular file, never a symbolic link (a link planted in the log must not
// redirect the store's writes elsewhere) or a special file. Then data.mdb must hold every page
// its newest meta page declares: LMDB maps the file and would take SIGBUS on a page past its
// end. kCorruption naming the file otherwise.
Status CheckGroupStoreFiles(const std::string& store_dir);

// kCorruption for a damaged data.mdb at `data_path`: names the file, says what is wrong
// (`detail`) and what to do about it.
Status GroupStoreDamaged(const std::string& data_path, std::string_view detail);

// fsync(2) of a directory, so that the entries created in it survive a power loss.
Status SyncDirectory(const std::string& path);

}  // namespace eventlog
