// §C5.2: one relay per database. An exclusive flock on DB.evlog-relay.lock, held for the
// relay's lifetime; the file holds the holder's pid so that a second relay can name it.
#pragma once

#include <string>

#include "eventlog/status.h"

namespace evlog {

class RelayLock {
 public:
  // kBusy, naming the lock file and the running relay's pid, if another relay holds it.
  static eventlog::Result<RelayLock> Acquire(const std::string& db_path);
  RelayLock(RelayLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  RelayLock& operator=(RelayLock&&) = delete;
  ~RelayLock();

 private:
  explicit RelayLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace evlog
