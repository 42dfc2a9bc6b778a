// Committed transactions from a started pgoutput stream: unwraps XLogData, decodes pgoutput,
// groups Begin..Commit, and keeps the server informed of how far the caller has durably
// consumed (standby status updates), which is what lets the slot release WAL and, after a
// restart, resume after the last transaction the caller made durable.
#pragma once

#include <chrono>
#include <optional>

#include "capture/postgres/replication_connection.h"
#include "capture/postgres/transaction_assembler.h"
#include "eventlog/status.h"

namespace evlog::pg {

class LogicalStream {
 public:
  // `connection` must have had StartLogical succeed; it must outlive the stream.
  explicit LogicalStream(ReplicationConnection& connection) : connection_(connection) {}

  // The next committed transaction, or nullopt when none completed within `timeout_ms`.
  // `flushed` is the end LSN of the last transaction the caller has made durable (0 if none):
  // it is reported to the server whenever it moves, when a keepalive asks, and every
  // kStatusInterval. Never report a transaction as flushed before it is durable: the server
  // will not send it again. Once every transaction returned is flushed, the WAL position of a
  // keepalive that arrives between transactions is reported too (see Handle).
  // Errors: kIOError from the connection, kCorruption from the bytes.
  eventlog::Result<std::optional<Transaction>> Next(Lsn flushed, int timeout_ms);

  // For a caller about to stop: reports `flushed` to the server now (Next reports it too,
  // but only when it next runs) and ends the stream so that the server takes that report.
  // No call may follow.
  eventlog::Status ReportFlushedAndEnd(Lsn flushed);

  // The server's end of WAL as of its last message: the stream has caught up when the
  // caller has consumed everything before it.
  Lsn server_wal_end() const { return server_wal_end_; }

  // Below wal_sender_timeout's default (60 s) with room for a slow consumer.
  static constexpr std::chrono::seconds kStatusInterval{10};

 private:
  eventlog::Status SendStatus(Lsn flushed, bool reply_requested);
  eventlog::Result<std::optional<Transaction>> Handle(const std::string& copy_data, Lsn flushed);

  ReplicationConnection& connection_;
  TransactionAssembler assembler_;
  Lsn received_ = 0;  // the end of the WAL we have been sent: reported as written
  Lsn server_wal_end_ = 0;
  Lsn reported_flushed_ = 0;
  Lsn returned_end_ = 0;  // end LSN of the last transaction Next returned
  Lsn idle_end_ = 0;      // how far the server had sent when nothing was left unflushed
  std::chrono::steady_clock::time_point last_status_{};
};

}  // namespace evlog::pg
