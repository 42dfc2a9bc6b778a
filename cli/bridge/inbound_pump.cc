#include "bridge/inbound_pump.h"

#include <fmt/format.h>

namespace evlog {

using eventlog::Status;

namespace {
// How long one fetch waits when nothing arrives; signals are looked at between fetches.
constexpr std::chrono::milliseconds kFetchWait{200};
}  // namespace

InboundPump::InboundPump(eventlog::Log& log, RemoteSource& source, const SignalPipe& signals,
                         InboundOptions options)
    : log_(log), source_(source), signals_(signals), options_(std::move(options)), appender_(log) {}

Status InboundPump::CommitRound() {
  if (!appender_.empty()) {
    EVLOG_ASSIGN_OR_RETURN(eventlog::AppendResult appended, appender_.Commit());
    if (!first_offset_) first_offset_ = appended.first_offset;
    last_offset_ = appended.first_offset + appended.count - 1;
    progress_.Update(appender_.appended());
  }
  // Only now, with the events durable, may the remote forget them. Also after a round that
  // added nothing: the source may have skipped messages already in the log (remote.h).
  return source_.CommitFetched();
}

Status InboundPump::Run() {
  for (;;) {
    if (signals_.termination()) return CommitRound();
    eventlog::Result<bool> caught_up = source_.Fetch(kFetchWait, appender_);
    if (!caught_up) {
      // Keep what was fetched before the error: it is valid and the remote still has it
      // uncommitted, so appending it now only saves receiving it again.
      Status committed = CommitRound();
      return committed.ok() ? caught_up.error() : committed;
    }
    EVLOG_RETURN_IF_ERROR(CommitRound());
    if (*caught_up && !options_.follow) return Status::Ok();
  }
}

std::string InboundPump::Summary(bool failed) const {
  progress_.Clear();
  if (!first_offset_) {
    return (failed ? "appended nothing from " : "nothing new from ") + options_.remote;
  }
  return fmt::format("appended {} events (offsets {}..{}) to {} from {}", appender_.appended(), *first_offset_,
                     last_offset_, log_.dir(), options_.remote);
}

}  // namespace evlog
