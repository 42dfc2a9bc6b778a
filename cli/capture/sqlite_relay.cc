#include "capture/sqlite_relay.h"

#include <chrono>
#include <limits>
#include <set>
#include <vector>

#include <fmt/format.h>

#include "capture/relay_resume.h"

namespace evlog {

using eventlog::Result;
using eventlog::Status;

namespace {

// How often -f looks for commits of other connections: PRAGMA data_version costs a
// shared-memory read in WAL mode, so a few milliseconds keeps commit-to-log latency low.
constexpr std::chrono::milliseconds kFollowPoll{3};

constexpr int64_t kNoLimit = std::numeric_limits<int64_t>::max();

}  // namespace

namespace {

Status AddEvent(eventlog::Batch& batch, const ChangeEvent& change) {
  const std::string key = EncodeChangeKey(change);
  const std::string payload = EncodeChangeEnvelope(change);
  std::string storage;
  const std::vector<eventlog::HeaderView> headers = ChangeHeaders(change, &storage);
  return batch.Add({.key = key, .headers = headers, .payload = payload});
}

}  // namespace

// A key-changing update is two events of the same batch (§C4): key compaction then keeps,
// for the old key, the delete rather than an older change the update made obsolete.
Status AddChange(eventlog::Batch& batch, const ChangeEvent& change) {
  if (std::optional<ChangeEvent> removal = OldKeyDelete(change)) EVLOG_RETURN_IF_ERROR(AddEvent(batch, *removal));
  return AddEvent(batch, change);
}

Status SqliteRelay::Resume() {
  EVLOG_ASSIGN_OR_RETURN(auto log_id, outbox_.Meta("relay_log_id"));
  EVLOG_ASSIGN_OR_RETURN(auto offset_text, outbox_.Meta("relay_offset"));
  EVLOG_ASSIGN_OR_RETURN(eventlog::LogInfo info, log_.Info());
  std::optional<uint64_t> from;
  // The hint saves reading the whole log; one that names another log, or lies past this
  // log's end, is ignored and the log read from its start.
  if (log_id == log_.log_id() && offset_text) {
    const uint64_t offset = std::strtoull(offset_text->c_str(), nullptr, 10);
    if (offset <= info.next_offset) from = offset;
  }
  // The last id marked relayed: 0 for a database never relayed; unknown for one last
  // relayed by an evlog that did not record it.
  std::optional<int64_t> marked;
  EVLOG_ASSIGN_OR_RETURN(auto marked_text, outbox_.Meta("relay_outbox_id"));
  if (marked_text) {
    marked = std::strtoll(marked_text->c_str(), nullptr, 10);
  } else if (!log_id) {
    marked = 0;
  }
  EVLOG_ASSIGN_OR_RETURN(RelayedSoFar relayed,
                         FindRelayed(log_, outbox_.source_id(), from, marked.value_or(kNoLimit)));
  EVLOG_RETURN_IF_ERROR(CheckNotAhead(relayed.largest_outbox_id));
  if (marked) EVLOG_RETURN_IF_ERROR(CheckUnmarkedRowsWait(*marked, relayed));
  last_appended_id_ = relayed.largest_outbox_id;
  return outbox_.MarkRelayed(last_appended_id_, log_.log_id(), relayed.next_offset);
}

// Rows the log holds but the database never assigned: the database was restored from an
// older copy, or the log holds another database's changes under this one's id. Deleting
// "up to" that id would silently drop the database's next changes.
Status SqliteRelay::CheckNotAhead(int64_t largest_in_log) {
  EVLOG_ASSIGN_OR_RETURN(int64_t assigned, outbox_.LastAssignedId());
  if (largest_in_log <= assigned) return Status::Ok();
  return Status::InvalidArgument(fmt::format(
      "{}: the log {} already holds outbox id {} of this database (source_id {}), but the database has only "
      "assigned ids up to {}: was it restored from an older copy? Relay into a new log, or re-install capture "
      "(--uninstall, then --install) to give the database a new source_id",
      outbox_.db().path(), log_.dir(), largest_in_log, outbox_.source_id(), assigned));
}

// Changes the log holds past the last id marked relayed were appended by a relay that died
// before marking them (and deleting their rows): each must still wait in the outbox, as it
// was. A row that is missing, or holds another change, means the database was restored
// from an older copy and has given those ids to new changes since (CheckNotAhead sees
// only ids it never gave): deleting "up to" the log's largest id would drop them.
Status SqliteRelay::CheckUnmarkedRowsWait(int64_t marked, const RelayedSoFar& relayed) {
  std::set<int64_t> waiting;
  std::vector<OutboxRow> rows;
  for (int64_t after = marked; after < relayed.largest_outbox_id; after = rows.back().id) {
    EVLOG_RETURN_IF_ERROR(outbox_.ReadRows(after, relayed.largest_outbox_id, &rows));
    if (rows.empty()) break;
    for (const OutboxRow& row : rows) {
      auto logged = relayed.payloads.find(row.id);
      if (logged == relayed.payloads.end()) continue;  // a gap: not in the log, relayed next
      EVLOG_ASSIGN_OR_RETURN(ChangeEvent change, outbox_.ToChange(row));
      if (EncodeChangeEnvelope(change) != logged->second) return Restored(row.id, "holds another change");
      waiting.insert(row.id);
    }
  }
  for (const auto& [id, payload] : relayed.payloads) {
    if (!waiting.contains(id)) return Restored(id, "is not in the outbox");
  }
  return Status::Ok();
}

Status SqliteRelay::Restored(int64_t id, std::string_view what) {
  return Status::InvalidArgument(fmt::format(
      "{}: the log {} holds outbox id {} of this database (source_id {}), not yet marked relayed, but the "
      "database's outbox row {} {}: was the database restored from an older copy? Relaying would drop its new "
      "changes. Relay into a new log, or re-install capture (--uninstall, then --install) to give the database a "
      "new source_id",
      outbox_.db().path(), log_.dir(), id, outbox_.source_id(), id, what));
}

Result<uint64_t> SqliteRelay::AppendFrom(Outbox& source, int64_t up_to) {
  std::vector<OutboxRow> rows;
  EVLOG_RETURN_IF_ERROR(source.ReadRows(last_appended_id_, up_to, &rows));
  batch_.Clear();
  int64_t last_added = last_appended_id_;
  uint64_t added = 0;
  for (const OutboxRow& row : rows) {
    EVLOG_ASSIGN_OR_RETURN(ChangeEvent change, source.ToChange(row));
    const uint64_t events_before = batch_.event_count();
    Status status = AddChange(batch_, change);
    if (!status.ok()) {
      if (added == 0) return status.WithContext(fmt::format("{}: outbox row {}", source.db().path(), row.id));
      // A batch that would not fit a segment ends here; the rest goes in the next one. A
      // row is in one batch whole: if only the first of a key change's two events fitted,
      // the batch is made again without it (rare: only where a batch reaches its limit).
      if (batch_.event_count() != events_before) EVLOG_RETURN_IF_ERROR(Refill(source, rows, added));
      break;
    }
    last_added = row.id;
    ++added;
  }
  if (added == 0) return uint64_t{0};
  const uint64_t events = batch_.event_count();  // a key change is two (§C4)
  EVLOG_RETURN_IF_ERROR(AppendBatch(batch_));
  change_events_ += events;
  last_appended_id_ = last_added;
  relayed_ += added;
  return added;
}

Status SqliteRelay::Refill(Outbox& source, const std::vector<OutboxRow>& rows, uint64_t count) {
  batch_.Clear();
  for (uint64_t i = 0; i < count; ++i) {
    EVLOG_ASSIGN_OR_RETURN(ChangeEvent change, source.ToChange(rows[i]));
    EVLOG_RETURN_IF_ERROR(AddChange(batch_, change));
  }
  return Status::Ok();
}

Status SqliteRelay::AppendBatch(eventlog::Batch& batch) {
  EVLOG_ASSIGN_OR_RETURN(eventlog::AppendResult appended, log_.Append(batch, {.sync = true}));
  if (appended.count == 0) return Status::Ok();
  if (!first_offset_) first_offset_ = appended.first_offset;
  last_offset_ = appended.first_offset + appended.count - 1;
  events_ += appended.count;
  return Status::Ok();
}

Status SqliteRelay::MarkRelayed() {
  EVLOG_ASSIGN_OR_RETURN(eventlog::LogInfo info, log_.Info());
  return outbox_.MarkRelayed(last_appended_id_, log_.log_id(), info.next_offset);
}

Status SqliteRelay::RelayAll() {
  while (signals_.termination() == 0) {
    EVLOG_RETURN_IF_ERROR(outbox_.CheckSchema());
    EVLOG_ASSIGN_OR_RETURN(uint64_t appended, AppendFrom(outbox_, kNoLimit));
    if (appended == 0) break;
    EVLOG_RETURN_IF_ERROR(MarkRelayed());
  }
  return Status::Ok();
}

Status SqliteRelay::Follow() {
  while (signals_.termination() == 0) {
    // Read before relaying: a commit after this read changes the version, so is never missed.
    EVLOG_ASSIGN_OR_RETURN(int64_t seen, outbox_.DataVersion());
    EVLOG_RETURN_IF_ERROR(RelayAll());
    for (;;) {
      if (signals_.Sleep(kFollowPoll) != 0) return Status::Ok();
      EVLOG_ASSIGN_OR_RETURN(int64_t now, outbox_.DataVersion());
      if (now != seen) break;
    }
  }
  return Status::Ok();
}

std::string SqliteRelay::Summary() const {
  if (events_ == 0) return fmt::format("relayed {} changes", relayed_);
  const std::string offsets = *first_offset_ == last_offset_ ? fmt::format("offset {}", last_offset_)
                                                             : fmt::format("offsets {}..{}", *first_offset_, last_offset_);
  if (events_ == change_events_) return fmt::format("relayed {} changes ({})", relayed_, offsets);
  return fmt::format("relayed {} changes and {} snapshot rows ({})", relayed_, events_ - change_events_, offsets);
}

}  // namespace evlog
