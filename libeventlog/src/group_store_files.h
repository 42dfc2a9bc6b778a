// File-level care for the consumer-group store (format-spec §11) that LMDB leaves to its
// caller: checking data.mdb before it is mapped, and syncing the directories it creates in.
#pragma once

#include <string>

#include "eventlog/status.h"

namespace eventlog {

// Checks that `data_path` (an LMDB data.mdb, or absent) holds every page its newest meta page
// declares. LMDB maps the file and would take SIGBUS on a page past its end: a truncated
// store must be reported as corruption before mdb_env_open, naming the file.
Status CheckLmdbDataFile(const std::string& data_path);

// fsync(2) of a directory, so that the entries created in it survive a power loss.
Status SyncDirectory(const std::string& path);

}  // namespace eventlog
