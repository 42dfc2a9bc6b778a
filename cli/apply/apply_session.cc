#include "apply/apply_session.h"

#include <fmt/format.h>

#include "codec/change_event.h"
#include "term/exit_codes.h"
#include "term/report.h"

namespace evlog {
namespace {

using eventlog::Result;
using eventlog::Status;

constexpr char kCommand[] = "apply";
// WaitForAppend is interrupted by a signal but not woken by one that lands just before it
// starts: such a signal is seen after at most this long.
constexpr int kWaitSliceMs = 250;

}  // namespace

// After SIGINT or SIGTERM the failure is most often the signal's own doing (a lock wait it
// ended), but it may be a real one that happened at the same moment: it is said, as a note,
// never dropped.
int ApplyFailureExit(const Status& status, const SignalPipe& signals) {
  if (const int signo = signals.termination()) {
    PrintNote(kCommand, fmt::format("stopped by signal {}; the run in progress was rolled back ({})", signo,
                                    status.message()));
    return 128 + signo;
  }
  return ReportFailure(kCommand, status);
}

ApplySession::ApplySession(ApplySessionParts parts, ApplySettings settings, std::optional<ApplyPosition> position,
                           uint64_t start)
    : parts_(parts),
      settings_(std::move(settings)),
      position_(std::move(position)),
      next_offset_(start),
      started_(std::chrono::steady_clock::now()) {}

int ApplySession::Run() {
  eventlog::Event event;
  while (true) {
    Result<bool> more = NextRunStart(&event);
    if (!more) return Finish(ApplyFailureExit(more.error(), parts_.signals));
    if (!*more) break;
    Status applied = ApplyRun(event);
    if (!applied.ok()) return Finish(ApplyFailureExit(applied, parts_.signals));
    progress_.Update(applied_);
  }
  const int signo = parts_.signals.termination();
  return Finish(signo != 0 ? 128 + signo : kExitOk);
}

Result<bool> ApplySession::NextRunStart(eventlog::Event* event) {
  while (parts_.signals.termination() == 0) {
    EVLOG_ASSIGN_OR_RETURN(bool more, parts_.reader.Next(event));
    if (more || !settings_.follow) return more;
    EVLOG_RETURN_IF_ERROR(parts_.reader.WaitForAppend(kWaitSliceMs));
  }
  return false;
}

// Inside the transaction, the target's row must still be what this process last saw:
// otherwise a second apply of the same group is feeding the target, and one of the two
// would apply events the other already has.
Status ApplySession::BeginRun() {
  EVLOG_RETURN_IF_ERROR(parts_.target.Begin(settings_.group));
  EVLOG_ASSIGN_OR_RETURN(std::optional<ApplyPosition> now, parts_.target.ReadPosition(settings_.group));
  const auto offset = [](const std::optional<ApplyPosition>& p) { return p ? std::to_string(p->next_offset) : "none"; };
  if (!now && position_) {
    return Status::Busy(fmt::format("{}: the position row of group {} (offset {}) was deleted from _evlog_apply "
                                    "while this apply ran: stopped; run apply again to start from what the target "
                                    "now holds",
                                    parts_.target.name(), settings_.group, offset(position_)));
  }
  if (offset(now) != offset(position_)) {
    return Status::Busy(fmt::format("{}: the position of group {} moved from {} to {} while this apply ran: "
                                        "another apply of that group feeds the target; run one at a time",
                                        parts_.target.name(), settings_.group, offset(position_), offset(now)));
  }
  return Status::Ok();
}

Status ApplySession::ApplyRun(eventlog::Event& event) {
  held_removal_.reset();  // a failed run's, if any
  Status begun = BeginRun();
  if (!begun.ok()) {
    parts_.target.Rollback();
    return begun;
  }
  const uint64_t first = event.offset;
  uint64_t last = first;
  uint64_t count = 0;
  // The run is rolled back whole when the event at `last` fails.
  auto abandon = [&](const Status& failed) -> Status {
    parts_.target.Rollback();
    return {failed.code(), fmt::format("event at offset {}: {}; nothing of offsets {}..{} was applied, {} stays at "
                                       "offset {}",
                                       last, failed.message(), first, last, parts_.target.name(), next_offset_)};
  };
  while (true) {
    last = event.offset;
    if (Status applied = ApplyEvent(event); !applied.ok()) return abandon(applied);
    // A run ends at a unit's end only: a source transaction, captured as one batch, is
    // applied whole, so that a deferred constraint sees all of it and readers of the target
    // never see half of it. A batch larger than --batch makes its run larger. Nor right after
    // a key change's removal, whose update follows it in a log that was re-batched (imported).
    if (++count >= settings_.run_events && parts_.reader.at_unit_end() && !held_removal_) break;
    Result<bool> more = parts_.reader.Next(&event);
    if (!more) parts_.target.Rollback();
    EVLOG_RETURN_IF_ERROR(more.status());
    if (!*more) break;
  }
  // A key change's two events are in one batch, which a run never splits: a removal still
  // held here has lost its update to compaction, and is applied. It is the run's last event.
  if (Status flushed = ApplyHeldRemoval(); !flushed.ok()) return abandon(flushed);
  EVLOG_RETURN_IF_ERROR(CommitRun(last + 1));
  applied_ += count;
  return Status::Ok();
}

// §C6: the delete of a key change's old key is held until the next event. If that is the
// update it announces, the update moves the row itself (keeping the columns it did not
// send, such as unchanged TOASTed ones, which the delete would lose) and the delete is
// dropped; otherwise key compaction removed the update, and the delete is applied.
Status ApplySession::ApplyEvent(const eventlog::Event& event) {
  EVLOG_ASSIGN_OR_RETURN(ChangeEvent change, DecodeChangeEnvelope(event.payload));
  if (held_removal_) {
    // Its update is the very next offset (compaction that removed it leaves a gap), with
    // the key it announced and, as its old key, the key it deletes.
    const Result<SqlRow> old_key = OldKey(change);
    const bool announced = change.op == 'u' && event.offset == held_removal_->offset + 1 && event.key &&
                           *event.key == held_removal_->new_key && old_key && *old_key == held_removal_->change.key;
    if (announced) {
      held_removal_.reset();
    } else {
      EVLOG_RETURN_IF_ERROR(ApplyHeldRemoval());
    }
  }
  if (change.op == 'd') {
    for (const eventlog::HeaderView& header : event.headers) {
      if (header.name != "evlog.new_key") continue;
      held_removal_ = HeldRemoval{std::move(change), std::string(header.value), event.offset};
      return Status::Ok();
    }
  }
  return parts_.target.Apply(change);
}

Status ApplySession::ApplyHeldRemoval() {
  if (!held_removal_) return Status::Ok();
  HeldRemoval held = std::move(*held_removal_);
  held_removal_.reset();
  return parts_.target.Apply(held.change);
}

// The target's commit makes the run and its position durable together; the group's copy in
// the log follows and may lag it after a crash, never lead it (§C6).
Status ApplySession::CommitRun(uint64_t next_offset) {
  ApplyPosition position{settings_.log_id, next_offset};
  Status committed = parts_.target.WritePosition(settings_.group, position);
  if (committed.ok()) committed = parts_.target.Commit();
  if (!committed.ok()) {
    parts_.target.Rollback();
    return committed;
  }
  position_ = std::move(position);
  next_offset_ = next_offset;
  ++transactions_;
  return parts_.groups.Reset(settings_.group, next_offset).status().WithContext(
      fmt::format("{} is at offset {}, but group {} of the log could not be set to it", parts_.target.name(),
                  next_offset, settings_.group));
}

int ApplySession::Finish(int status) {
  std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started_;
  progress_.Clear();
  PrintNote(kCommand, fmt::format("{} event{} applied in {} transaction{} in {:.2f}s; group {} is at offset {}",
                                   applied_, applied_ == 1 ? "" : "s", transactions_, transactions_ == 1 ? "" : "s",
                                   elapsed.count(), settings_.group, next_offset_));
  return status;
}

}  // namespace evlog
