// The target database of `apply`: one connection, the transaction of each run of events,
// and the position table of format-spec/change-events.md §C6, which that transaction also
// writes, so that the rows and the position that covers them commit together.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "eventlog/status.h"
#include "replay/signal_pipe.h"
#include "sqlite/sqlite_handle.h"

namespace evlog {

// A group's row of _evlog_apply: which log fed the target, and the next offset to apply.
struct ApplyPosition {
  std::string log_id;
  uint64_t next_offset = 0;
};

class SqliteTarget {
 public:
  // Opens the database at `path` (creating the file only with `create`) and creates
  // _evlog_apply if it is missing. While another connection holds the write lock, waits,
  // saying so once after about a second, until it is free or `signals` has a termination.
  static eventlog::Result<std::unique_ptr<SqliteTarget>> Open(const std::string& path, bool create,
                                                              const SignalPipe& signals);

  // The group's position, nullopt if the target was never fed for it.
  eventlog::Result<std::optional<ApplyPosition>> ReadPosition(std::string_view group);

  // BEGIN IMMEDIATE: the write lock is taken now, so a run never fails half-way for it.
  eventlog::Status Begin();
  eventlog::Status WritePosition(std::string_view group, const ApplyPosition& position);
  eventlog::Status Commit();
  void Rollback();  // no-op outside a transaction

  SqliteDb& db() { return db_; }
  const std::string& path() const { return db_.path(); }

 private:
  explicit SqliteTarget(SqliteDb db) : db_(std::move(db)) {}
  eventlog::Status PrepareStatements();

  SqliteDb db_;
  SqliteStatement read_position_;
  SqliteStatement write_position_;
};

}  // namespace evlog
