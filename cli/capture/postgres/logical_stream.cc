#include "capture/postgres/logical_stream.h"

#include <algorithm>

#include "capture/postgres/replication_messages.h"

namespace evlog::pg {

using eventlog::Result;
using eventlog::Status;

namespace {

// How long a stopping relay waits for the server to end the stream: the server answers at
// once unless it is busy sending a large transaction, which it finishes first.
constexpr int kEndWaitMs = 10000;

PgTimestamp NowPgMicros() {
  const auto since_unix = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  return since_unix.count() - kPgEpochMicrosAfterUnix;
}

}  // namespace

Status LogicalStream::SendStatus(Lsn flushed, bool reply_requested) {
  StandbyStatus status;
  // Written covers what was received even if not yet consumed; flushed and applied are only
  // what the caller made durable, or WAL that held nothing for it.
  const Lsn consumed = std::max(flushed, idle_end_);
  status.written = std::max(received_, consumed);
  status.flushed = consumed;
  status.applied = consumed;
  status.client_time = NowPgMicros();
  status.reply_requested = reply_requested;
  EVLOG_RETURN_IF_ERROR(connection_.SendCopyData(EncodeStandbyStatus(status)));
  reported_flushed_ = flushed;
  last_status_ = std::chrono::steady_clock::now();
  return Status::Ok();
}

Status LogicalStream::ReportFlushedAndEnd(Lsn flushed) {
  EVLOG_RETURN_IF_ERROR(SendStatus(flushed, false));
  return connection_.EndCopy(kEndWaitMs);
}

Result<std::optional<Transaction>> LogicalStream::Handle(const std::string& copy_data, Lsn flushed) {
  EVLOG_ASSIGN_OR_RETURN(ServerCopyData message, DecodeServerCopyData(copy_data));
  if (auto* keepalive = std::get_if<PrimaryKeepalive>(&message)) {
    server_wal_end_ = std::max(server_wal_end_, keepalive->wal_end);
    // The server sends each transaction whole before any later WAL position, so with none
    // open here and every one returned flushed, all WAL before wal_end is consumed: the rest
    // held no change to publish (rollbacks, other tables, checkpoints). Confirming it is
    // what lets a fast shutdown finish: each walsender waits until its client confirms all
    // it sent, and otherwise a relay whose last transaction is not the end of the WAL keeps
    // the server from stopping. A transaction committing later is still sent after a restart.
    if (!assembler_.in_transaction() && flushed >= returned_end_) idle_end_ = std::max(idle_end_, keepalive->wal_end);
    if (keepalive->reply_requested) EVLOG_RETURN_IF_ERROR(SendStatus(flushed, false));
    return std::optional<Transaction>();
  }
  const XLogData& data = std::get<XLogData>(message);
  server_wal_end_ = std::max(server_wal_end_, data.wal_end);
  received_ = std::max(received_, data.wal_start);
  EVLOG_ASSIGN_OR_RETURN(PgoutputMessage decoded, DecodePgoutput(data.payload));
  EVLOG_ASSIGN_OR_RETURN(std::optional<Transaction> done, assembler_.Add(std::move(decoded)));
  if (done) {
    received_ = std::max(received_, done->end_lsn);
    returned_end_ = done->end_lsn;
  }
  return done;
}

Result<std::optional<Transaction>> LogicalStream::Next(Lsn flushed, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    const auto now = std::chrono::steady_clock::now();
    if (flushed != reported_flushed_ || now - last_status_ >= kStatusInterval)
      EVLOG_RETURN_IF_ERROR(SendStatus(flushed, false));
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
    // Wakes at least every status interval to send one even when the server is silent.
    const auto wait = std::clamp<int64_t>(left, 0, std::chrono::milliseconds(kStatusInterval).count());
    EVLOG_ASSIGN_OR_RETURN(std::optional<std::string> copy_data, connection_.ReadCopyData(static_cast<int>(wait)));
    if (copy_data) {
      EVLOG_ASSIGN_OR_RETURN(std::optional<Transaction> done, Handle(*copy_data, flushed));
      if (done) return done;
    } else if (std::chrono::steady_clock::now() >= deadline) {
      return std::optional<Transaction>();
    }
  }
}

}  // namespace evlog::pg
