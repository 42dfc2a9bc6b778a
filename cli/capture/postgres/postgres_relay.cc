#include "capture/postgres/postgres_relay.h"

#include <fmt/format.h>

#include "capture/postgres/change_events.h"
#include "capture/postgres/replication_messages.h"
#include "capture/postgres/resume_position.h"

namespace evlog::pg {

using eventlog::Result;
using eventlog::Status;

namespace {

// How long one wait for the server lasts: the longest a SIGINT/SIGTERM waits to be noticed.
constexpr int kWaitMs = 200;

}  // namespace

Status PostgresRelay::Append(const Transaction& transaction) {
  eventlog::Batch batch = log_.NewBatch();
  uint64_t bytes = 0;
  Status refused;
  for (const RowChange& change : transaction.changes) {
    for (const PgChangeEvent& event : ChangeEvents(transaction, change, source_id_)) {
      bytes += (event.key ? event.key->size() : 0) + event.payload.size();
      for (const auto& [name, value] : event.headers) bytes += name.size() + value.size();
      if (!refused.ok()) continue;  // only counting, for the message
      std::vector<eventlog::HeaderView> headers;
      for (const auto& [name, value] : event.headers) headers.push_back({name, value});
      refused = batch.Add({.key = KeyOf(event), .headers = headers, .payload = event.payload});
    }
  }
  if (!refused.ok()) {
    EVLOG_ASSIGN_OR_RETURN(eventlog::LogInfo info, log_.Info());
    return Status::InvalidArgument(fmt::format(
        "transaction {} (commit LSN {}, {} changes, about {} bytes of events) does not fit one batch of {} "
        "(segment size {} bytes, largest event {} bytes): {}. Nothing of it was appended and the slot still holds "
        "it. Capture into a log created with a larger --segment-bytes (and --max-event-bytes for a large row), "
        "e.g. evlog append NEWLOG --segment-bytes 1GiB --max-event-bytes 64MiB </dev/null",
        transaction.xid, FormatLsn(transaction.commit_lsn), transaction.changes.size(), bytes, log_.dir(),
        info.segment_bytes, info.max_event_bytes, refused.message()));
  }
  // A transaction without rows of a published table still moves the slot on.
  if (!batch.empty()) {
    EVLOG_ASSIGN_OR_RETURN(eventlog::AppendResult appended, log_.Append(batch, {.sync = true}));
    events_ += appended.count;
    ++transactions_;
  }
  in_log_ = transaction.commit_lsn;
  return Status::Ok();
}

Status PostgresRelay::CheckInLog(const Transaction& transaction) {
  EVLOG_ASSIGN_OR_RETURN(bool held, HoldsTransaction(log_, source_id_, transaction.commit_lsn, transaction.xid));
  if (held) return Status::Ok();
  return Status::InvalidArgument(fmt::format(
      "the server sent transaction {} committed at LSN {}, at or below the last LSN this log holds of {} ({}), but "
      "the log does not hold it: was the server restored from an older copy (its WAL positions go back)? Nothing "
      "of it was appended and the slot still holds it. Capture into a new log",
      transaction.xid, FormatLsn(transaction.commit_lsn), source_id_, FormatLsn(in_log_)));
}

Status PostgresRelay::Run(Lsn caught_up_at, bool follow) {
  while (signals_.termination() == 0) {
    // Everything committed before caught_up_at has been sent once the server has decoded
    // past it (its keepalives say how far) or we are past it ourselves.
    if (!follow && (stream_.server_wal_end() >= caught_up_at || flushed_ >= caught_up_at)) break;
    EVLOG_ASSIGN_OR_RETURN(std::optional<Transaction> transaction, stream_.Next(flushed_, kWaitMs));
    if (!transaction) continue;
    if (transaction->commit_lsn <= in_log_) {
      // Appended before a crash that came before the server learnt of it: the log holds it.
      // Unless the server was restored from an older copy and reuses those WAL positions for
      // new transactions, which skipping would lose (one without changes appends nothing).
      if (!transaction->changes.empty()) EVLOG_RETURN_IF_ERROR(CheckInLog(*transaction));
      ++skipped_;
    } else {
      EVLOG_RETURN_IF_ERROR(Append(*transaction));
    }
    flushed_ = transaction->end_lsn;  // only now: the batch is durable
  }
  return flushed_ == 0 ? Status::Ok() : stream_.ReportFlushedAndEnd(flushed_);
}

std::string PostgresRelay::Summary() const {
  std::string summary = fmt::format("captured {} transactions ({} events)", transactions_, events_);
  if (skipped_ > 0) summary += fmt::format(", skipped {} already in the log", skipped_);
  return summary;
}

}  // namespace evlog::pg
