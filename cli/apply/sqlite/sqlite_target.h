// A SQLite database as the target of `apply`: one connection, the transaction of each run
// of events, and the position table of format-spec/change-events.md §C6, which that
// transaction also writes, so that the rows and the position that covers them commit
// together.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "apply/apply_target.h"
#include "apply/sqlite/sqlite_change_applier.h"
#include "eventlog/status.h"
#include "replay/signal_pipe.h"
#include "sqlite/sqlite_handle.h"

namespace evlog {

class SqliteTarget final : public ApplyTarget {
 public:
  // Opens the database at `path` (with `create_tables`, creating the file if missing, and
  // later any missing table) and creates _evlog_apply if it is missing. While another
  // connection holds the write lock, waits, saying so once after about a second, until it
  // is free or `signals` has a termination.
  static eventlog::Result<std::unique_ptr<SqliteTarget>> Open(const std::string& path, bool create_tables,
                                                              const SignalPipe& signals);

  const std::string& name() const override { return db_.path(); }
  eventlog::Result<std::optional<ApplyPosition>> ReadPosition(std::string_view group) override;
  // BEGIN IMMEDIATE: the write lock is taken now, so a run never fails half-way for it,
  // and a second apply waits for it.
  eventlog::Status Begin(std::string_view group) override;
  eventlog::Status Apply(const ChangeEvent& change) override { return applier_.Apply(change); }
  eventlog::Status WritePosition(std::string_view group, const ApplyPosition& position) override;
  eventlog::Status Commit() override;
  void Rollback() override;

 private:
  SqliteTarget(SqliteDb db, bool create_tables) : db_(std::move(db)), applier_(db_, create_tables) {}
  eventlog::Status PrepareStatements();

  SqliteDb db_;
  SqliteChangeApplier applier_;  // refers to db_, so declared after it
  SqliteStatement read_position_;
  SqliteStatement write_position_;
};

}  // namespace evlog
