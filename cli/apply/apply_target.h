// What `apply` needs of a target database (format-spec/change-events.md §C6): its position
// for a group, one transaction per run of events that also writes that position, and the
// change events applied inside it. One implementation per kind of database (sqlite/,
// postgres/); ApplySession drives any of them alike.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "codec/change_event.h"
#include "eventlog/status.h"

namespace evlog {

// A group's row of _evlog_apply: which log fed the target, and the next offset to apply.
struct ApplyPosition {
  std::string log_id;
  uint64_t next_offset = 0;
};

class ApplyTarget {
 public:
  virtual ~ApplyTarget() = default;

  // Names the target in messages ("PATH", "host H port P dbname D"): never a password.
  virtual const std::string& name() const = 0;

  // The group's position, nullopt if the target was never fed for it.
  virtual eventlog::Result<std::optional<ApplyPosition>> ReadPosition(std::string_view group) = 0;

  // Starts the transaction of a run. Until it ends, no other `apply` of `group` can write
  // the target's position: a second one waits here, then finds the position moved.
  virtual eventlog::Status Begin(std::string_view group) = 0;
  // Applies one change (§C6) inside the transaction. Errors say what is missing or what
  // the target refused; the caller adds the event's offset and rolls back.
  virtual eventlog::Status Apply(const ChangeEvent& change) = 0;
  virtual eventlog::Status WritePosition(std::string_view group, const ApplyPosition& position) = 0;
  // Makes the run and its position durable together.
  virtual eventlog::Status Commit() = 0;
  virtual void Rollback() = 0;  // no-op outside a transaction
};

}  // namespace evlog
