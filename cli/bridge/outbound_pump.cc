#include "bridge/outbound_pump.h"

#include <algorithm>
#include <thread>

#include <fmt/format.h>

#include "term/report.h"

namespace evlog {

using eventlog::Result;
using eventlog::Status;

namespace {
constexpr char kCommand[] = "bridge";
// How long one wait lasts when there is nothing to do; signals end it early.
constexpr std::chrono::milliseconds kIdleWait{100};
// After a failure, how long without a confirmation ends the wait for those still coming: a
// slow broker confirms a batch per round trip.
constexpr std::chrono::milliseconds kDrainQuiet{1000};
}  // namespace

OutboundPump::OutboundPump(eventlog::Log& log, eventlog::ConsumerGroups& groups, RemoteSink& sink,
                           const SignalPipe& signals, OutboundOptions options)
    : log_(log), groups_(groups), sink_(sink), signals_(signals), options_(std::move(options)) {}

Status OutboundPump::SendAvailable(eventlog::Reader& reader, bool* caught_up) {
  *caught_up = false;
  eventlog::Event event;
  // A bounded round, so that confirmations are collected and acks made while a long log is
  // read; the in-flight bound keeps memory flat during an outage.
  for (int i = 0; i < 4096 && prefix_.outstanding() < options_.max_in_flight; ++i) {
    EVLOG_ASSIGN_OR_RETURN(bool more, reader.Next(&event));
    if (!more) {
      *caught_up = true;
      return Status::Ok();
    }
    if (Status sent = sink_.Send(event); !sent.ok()) {
      // A signal ended a wait for room: Relay sees it next and drains what is in flight.
      if (sent.code() == eventlog::StatusCode::kBusy && signals_.termination()) return Status::Ok();
      return sent;
    }
    prefix_.Sent(event.offset);
    if (!first_sent_) first_sent_ = event.offset;
    last_sent_ = event.offset;
    ++sent_;
  }
  return Status::Ok();
}

// The confirmations a poll collected count even when it also reports a failure: those
// events are delivered, and dropping them would send them again on the next run.
Status OutboundPump::PollConfirmations(std::chrono::milliseconds timeout) {
  confirmed_.clear();
  const Status polled = sink_.Poll(timeout, &confirmed_);
  for (uint64_t offset : confirmed_)
    if (prefix_.Confirm(offset)) ++confirmed_count_;
  progress_.Update(confirmed_count_);
  return polled;
}

Status OutboundPump::AckConfirmed(bool force) {
  std::optional<uint64_t> ackable = prefix_.last_acked();
  if (!ackable || (acked_ && *ackable <= *acked_)) return Status::Ok();
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - last_ack_ < options_.ack_interval) return Status::Ok();
  // From where the group stood: a reset or delete by another program meanwhile stands, and
  // ends the relay (kConflict), as it ends a replay.
  const uint64_t since = acked_ ? *acked_ + 1 : start_position_;
  EVLOG_RETURN_IF_ERROR(groups_.AckFrom(options_.group, since, *ackable).status());
  acked_ = ackable;
  last_ack_ = now;
  return Status::Ok();
}

// Waits for the confirmations of the events in flight, at most `limit`, acking them.
Status OutboundPump::Drain(std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (prefix_.outstanding() > 0 && std::chrono::steady_clock::now() < deadline) {
    EVLOG_RETURN_IF_ERROR(PollConfirmations(kIdleWait));
    EVLOG_RETURN_IF_ERROR(AckConfirmed(false));
  }
  return AckConfirmed(true);
}

Status OutboundPump::Run() {
  // Joined, not just read: from here on, compaction keeps this group's events.
  EVLOG_ASSIGN_OR_RETURN(eventlog::GroupJoin join, groups_.Join(options_.group));
  PrintGroupJoinWarnings(kCommand, options_.group, join);
  const eventlog::GroupInfo& group = join.group;
  EVLOG_ASSIGN_OR_RETURN(eventlog::LogInfo info, log_.Info());
  start_position_ = group.position;
  if (group.position < info.first_offset) {
    PrintNote(kCommand, fmt::format("group {} is at offset {}, but the log now starts at {}: events {}..{} were "
                                    "removed (retention or compaction) before this group relayed them",
                                    options_.group, group.position, info.first_offset, group.position,
                                    info.first_offset - 1));
  }
  progress_.SetTotal(eventlog::GroupLag(group, info));
  EVLOG_ASSIGN_OR_RETURN(auto reader, log_.NewReader());
  EVLOG_RETURN_IF_ERROR(reader->SeekToOffset(group.position));
  last_ack_ = std::chrono::steady_clock::now();
  const Status relayed = Relay(*reader);
  if (!relayed.ok() && prefix_.outstanding() + confirmed_count_ > 0) {
    // Ended by a failure (an event the remote refuses, a fatal client error, the log): the
    // events before it that the remote confirms are delivered. Collect the confirmations
    // still arriving, for a bounded time, and ack the confirmed prefix, so that a rerun,
    // which stops at the same event, does not send them all again. The group never passes
    // an unconfirmed event (ConfirmedPrefix), so this acks nothing the remote lacks.
    CollectLateConfirmations();
    (void)AckConfirmed(true);  // the failure is what the caller reports
  }
  return relayed;
}

// Until confirmations stop coming for kDrainQuiet, or the drain time is up: a refused event
// stays outstanding for ever, so "all confirmed" never comes. The quiet is measured, not
// taken from one poll: a sink that has failed reports its failure on every poll, and may
// do so at once (a review found this loop ending after a single poll, and a rerun sending
// again all that a slower partition confirmed meanwhile).
void OutboundPump::CollectLateConfirmations() {
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + options_.drain_timeout;
  auto last_arrival = start;
  for (;;) {
    (void)PollConfirmations(kIdleWait);  // its failure is the one the caller reports
    const auto now = std::chrono::steady_clock::now();
    if (!confirmed_.empty()) last_arrival = now;
    if (prefix_.outstanding() == 0 || now >= deadline || now - last_arrival >= kDrainQuiet) return;
    if (confirmed_.empty()) {
      std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(kIdleWait / 10, deadline - now));
    }
  }
}

Status OutboundPump::Relay(eventlog::Reader& reader) {
  for (;;) {
    if (signals_.termination()) return Drain(options_.drain_timeout);
    bool caught_up = false;
    EVLOG_RETURN_IF_ERROR(SendAvailable(reader, &caught_up));
    // Nothing more to read for now: wait on the remote's confirmations instead of spinning.
    const bool waiting = caught_up || prefix_.outstanding() >= options_.max_in_flight;
    EVLOG_RETURN_IF_ERROR(PollConfirmations(waiting && prefix_.outstanding() > 0 ? kIdleWait
                                                                                 : std::chrono::milliseconds(0)));
    EVLOG_RETURN_IF_ERROR(AckConfirmed(false));
    if (!caught_up || prefix_.outstanding() > 0) continue;
    EVLOG_RETURN_IF_ERROR(AckConfirmed(true));
    if (!options_.follow) return Status::Ok();
    Status waited = reader.WaitForAppend(static_cast<int>(kIdleWait.count()));
    if (!waited.ok()) return waited;
  }
}

std::string OutboundPump::Summary() const {
  progress_.Clear();
  // As stored: another program may have moved the group (a reset ends the relay).
  uint64_t position = acked_ ? *acked_ + 1 : start_position_;
  if (auto stored = groups_.Get(options_.group); stored) position = stored->position;
  std::string lag;
  uint64_t behind = 0;
  if (auto info = log_.Info(); info) {
    behind = eventlog::GroupLag({.position = position}, *info);
    lag = fmt::format(", lag {}", behind);
  }
  if (sent_ == 0) {
    // "Nothing to relay" only when there was nothing: a run that failed or was stopped
    // before its first send leaves the group behind the log's end.
    if (behind > 0) {
      return fmt::format("relayed nothing to {}: group {} stays at {}{}", options_.remote, options_.group, position, lag);
    }
    return fmt::format("nothing to relay: group {} is at {}{}", options_.group, position, lag);
  }
  if (confirmed_count_ == 0) {
    return fmt::format("relayed nothing to {}: {} events sent, none confirmed; group {} stays at {}{}", options_.remote,
                       sent_, options_.group, position, lag);
  }
  std::string unconfirmed;
  if (sent_ > confirmed_count_) {
    unconfirmed = fmt::format(" ({} more sent but not confirmed: the next run sends them again)", sent_ - confirmed_count_);
  }
  // The range is what the group now covers, not what was sent: events sent and never
  // confirmed are the next run's.
  const uint64_t last = prefix_.last_acked().value_or(*last_sent_);
  return fmt::format("relayed {} events (offsets {}..{}) to {}{}; group {} at {}{}", confirmed_count_, *first_sent_,
                     last, options_.remote, unconfirmed, options_.group, position, lag);
}

}  // namespace evlog
