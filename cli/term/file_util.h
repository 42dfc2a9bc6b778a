// Small POSIX helpers for the files the CLI itself writes (export's -o file, import's
// temporary log directory): creation is made durable the same way the library does it,
// write, fsync, rename, then fsync the directory.
#pragma once

#include <string>

#include "eventlog/status.h"

namespace evlog {

// An IOError "WHAT: strerror(errno)".
eventlog::Status ErrnoStatus(const std::string& what);

// The directory part of `path` ("." for a bare name, "/" for a top-level entry).
std::string ParentDirectory(const std::string& path);

// fsync of a directory, so that a rename or creation inside it is durable.
eventlog::Status SyncDirectory(const std::string& dir);

}  // namespace evlog
