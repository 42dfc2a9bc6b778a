// The private directory in which `evlog import` builds a new log, LOG.import-XXXXXX, and
// what becomes of it when the import does not finish.
//
//   - It gets the mode a plain mkdir would give (0755 less the umask), like any log,
//     rather than mkdtemp's 0700, since it is renamed to LOG at the end.
//   - The importer holds an flock on it for its whole life. SIGINT and SIGTERM are caught
//     (term/interruption.h) so that the import stops and removes it; SIGKILL cannot be,
//     so each import first removes every LOG.import-* that no live importer holds and that
//     has not changed for a few seconds, with a note saying so.
#pragma once

#include <string>

#include "eventlog/status.h"

namespace evlog {

class ScratchDir {
 public:
  // Removes stale leftovers next to `log_dir`, then creates and locks a new directory.
  static eventlog::Result<ScratchDir> Create(const std::string& log_dir);
  ScratchDir(ScratchDir&& other) noexcept;
  ScratchDir& operator=(ScratchDir&&) = delete;
  ~ScratchDir();  // removes the directory unless Release()d, then unlocks it

  const std::string& path() const { return path_; }
  // The directory was renamed into place: keep it.
  void Release() { path_.clear(); }

 private:
  ScratchDir(std::string path, int lock_fd) : path_(std::move(path)), lock_fd_(lock_fd) {}
  std::string path_;
  int lock_fd_ = -1;
};

}  // namespace evlog
