#include "capture/relay_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>

#include <fmt/format.h>

#include "term/file_util.h"

namespace evlog {

using eventlog::Result;
using eventlog::Status;

namespace {

// The database's path with symbolic links and `.`/`..` resolved, so that two relays that
// name one database by different paths (a symlink, a relative path) lock the same file: a
// second relay through a symlink ran beside the first, each deleting outbox rows the other
// had not relayed. A database that cannot be resolved keeps its path (opening it fails next).
std::string CanonicalPath(const std::string& path) {
  char* resolved = realpath(path.c_str(), nullptr);
  if (resolved == nullptr) return path;
  std::string canonical(resolved);
  free(resolved);
  return canonical;
}

}  // namespace

Result<RelayLock> RelayLock::Acquire(const std::string& db_path) {
  const std::string path = CanonicalPath(db_path) + ".evlog-relay.lock";
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus("cannot open " + path);
  RelayLock lock(fd);
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) return ErrnoStatus("cannot lock " + path);
    char pid[32] = {};
    const ssize_t n = pread(fd, pid, sizeof pid - 1, 0);
    std::string holder = n > 0 ? std::string(pid, static_cast<size_t>(n)) : std::string("unknown");
    while (!holder.empty() && holder.back() == '\n') holder.pop_back();
    return Status::Busy(fmt::format("{}: another relay is running for this database (pid {}, holding {}); "
                                    "only one relay per database may run",
                                    db_path, holder, path));
  }
  const std::string pid = fmt::format("{}\n", getpid());
  if (ftruncate(fd, 0) != 0 || pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    return ErrnoStatus("cannot write " + path);
  }
  return lock;
}

RelayLock::~RelayLock() {
  if (fd_ >= 0) close(fd_);
}

}  // namespace evlog
