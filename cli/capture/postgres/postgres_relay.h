// §C7.4: committed PostgreSQL transactions into the log, each as one atomic batch, in commit
// order, exactly once. A transaction's batch is durable before its end LSN is reported to
// the server as flushed; on start the log says which transactions it already holds.
#pragma once

#include <cstdint>
#include <string>

#include "capture/postgres/logical_stream.h"
#include "eventlog/log.h"
#include "eventlog/status.h"
#include "replay/signal_pipe.h"

namespace evlog::pg {

class PostgresRelay {
 public:
  // `stream` must be started on the slot; `already_in_log` is LastCapturedLsn's answer.
  PostgresRelay(LogicalStream& stream, eventlog::Log& log, const SignalPipe& signals, std::string source_id,
                Lsn already_in_log)
      : stream_(stream), log_(log), signals_(signals), source_id_(std::move(source_id)), in_log_(already_in_log) {}

  // Relays until every transaction that committed before `caught_up_at` (the server's WAL
  // position when the relay started) is in the log, or until SIGINT/SIGTERM if `follow`;
  // then reports the last durable transaction as flushed.
  eventlog::Status Run(Lsn caught_up_at, bool follow);

  // "captured N transactions (E events), skipped K already in the log".
  std::string Summary() const;

 private:
  eventlog::Status Append(const Transaction& transaction);
  // kInvalidArgument unless the log holds `transaction`, which the server sent again.
  eventlog::Status CheckInLog(const Transaction& transaction);

  LogicalStream& stream_;
  eventlog::Log& log_;
  const SignalPipe& signals_;
  const std::string source_id_;
  Lsn in_log_;        // commit LSN of the last transaction the log holds
  Lsn flushed_ = 0;   // end LSN of the last transaction durable in the log (0: none yet)
  uint64_t transactions_ = 0;
  uint64_t events_ = 0;
  uint64_t skipped_ = 0;
};

}  // namespace evlog::pg
