// The relay (format-spec/change-events.md §C5): outbox rows into the log, oldest first,
// exactly once. Each read of the outbox becomes one batch of the log; only after the
// append returned (the batch is durable) are those rows deleted, in one transaction that
// also records how far the log got, and on start the log itself says which outbox ids it
// already holds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "capture/outbox.h"
#include "capture/relay_resume.h"
#include "eventlog/log.h"
#include "eventlog/status.h"
#include "replay/signal_pipe.h"

namespace evlog {

class SqliteRelay {
 public:
  SqliteRelay(Outbox& outbox, eventlog::Log& log, const SignalPipe& signals)
      : outbox_(outbox), log_(log), signals_(signals), batch_(log.NewBatch()) {}

  // §C5.2: learns the largest outbox id already in the log and deletes the rows up to it.
  eventlog::Status Resume();

  // Relays until the outbox is empty, or a SIGINT/SIGTERM arrived.
  eventlog::Status RelayAll();
  // RelayAll, then again whenever another connection commits, until a SIGINT/SIGTERM.
  eventlog::Status Follow();

  // Appends one batch of the rows of `source` after the last appended id and up to `up_to`,
  // without deleting them; returns how many rows it appended (0: none left).
  eventlog::Result<uint64_t> AppendFrom(Outbox& source, int64_t up_to);
  // Appends `batch` (durably) and counts it in the summary.
  eventlog::Status AppendBatch(eventlog::Batch& batch);
  // Deletes every appended row from the outbox (§C5.2).
  eventlog::Status MarkRelayed();

  int64_t last_appended_id() const { return last_appended_id_; }
  // "relayed N changes (offsets A..B)".
  std::string Summary() const;

 private:
  eventlog::Status CheckNotAhead(int64_t largest_in_log);
  eventlog::Status CheckUnmarkedRowsWait(int64_t marked, const RelayedSoFar& relayed);
  eventlog::Status Restored(int64_t id, std::string_view what);
  // batch_ made again from the first `count` of `rows`, which fitted it before.
  eventlog::Status Refill(Outbox& source, const std::vector<OutboxRow>& rows, uint64_t count);

  Outbox& outbox_;
  eventlog::Log& log_;
  const SignalPipe& signals_;
  eventlog::Batch batch_;
  int64_t last_appended_id_ = 0;
  uint64_t relayed_ = 0;
  uint64_t events_ = 0;         // appended, snapshot rows included
  uint64_t change_events_ = 0;  // of those, from outbox rows
  std::optional<uint64_t> first_offset_;
  uint64_t last_offset_ = 0;
};

// A change as an event in `batch` (§C4): key, headers, envelope.
eventlog::Status AddChange(eventlog::Batch& batch, const ChangeEvent& change);

}  // namespace evlog
