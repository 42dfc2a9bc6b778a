// A PostgreSQL database as the target of `apply` (format-spec/change-events.md §C6.2): the
// rows and the group's position in _evlog_apply commit in one transaction of the target,
// as with SQLite. A transaction-level advisory lock per group keeps two applies of one
// group from interleaving: the second waits for the first's run, then finds the position
// moved and stops.
#pragma once

#include <memory>
#include <string>

#include "apply/apply_target.h"
#include "apply/postgres/postgres_change_applier.h"
#include "apply/postgres/target_connection.h"
#include "replay/signal_pipe.h"

namespace evlog::pg {

class PostgresTarget final : public ApplyTarget {
 public:
  // Connects (CONNINFO: a libpq keyword string or URI) and creates _evlog_apply in the first
  // schema of the search_path if no table of that name is visible.
  static eventlog::Result<std::unique_ptr<PostgresTarget>> Open(const std::string& conninfo,
                                                                const SignalPipe& signals);

  const std::string& name() const override { return connection_->name(); }
  eventlog::Result<std::optional<ApplyPosition>> ReadPosition(std::string_view group) override;
  eventlog::Status Begin(std::string_view group) override;
  eventlog::Status Apply(const ChangeEvent& change) override { return applier_.Apply(change); }
  eventlog::Status WritePosition(std::string_view group, const ApplyPosition& position) override;
  eventlog::Status Commit() override;
  void Rollback() override { connection_->RollbackIfOpen(); }

 private:
  explicit PostgresTarget(std::unique_ptr<TargetConnection> connection)
      : connection_(std::move(connection)), applier_(*connection_) {}

  std::unique_ptr<TargetConnection> connection_;
  PostgresChangeApplier applier_;  // refers to *connection_, so declared after it
};

}  // namespace evlog::pg
