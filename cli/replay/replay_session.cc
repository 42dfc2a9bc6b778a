#include "replay/replay_session.h"

#include <fmt/core.h>

#include "term/exit_codes.h"
#include "term/report.h"

namespace evlog {
namespace {

constexpr char kCommand[] = "replay";
// WaitForAppend cannot be woken by the signal pipe, only interrupted by the signal (EINTR).
// A signal that lands just before the wait starts is seen after at most this long.
constexpr int kWaitSliceMs = 250;

int SignalExitStatus(int signo) { return 128 + signo; }

}  // namespace

ReplaySession::ReplaySession(eventlog::Reader& reader, Deliverer& deliverer,
                             const SignalPipe& signals, ReplayTarget target)
    : reader_(reader),
      deliverer_(deliverer),
      signals_(signals),
      target_(std::move(target)),
      started_(std::chrono::steady_clock::now()) {}

int ReplaySession::Run() {
  while (signals_.termination() == 0) {
    eventlog::Status read = ReadBatch();
    if (!read.ok()) return Finish(ReportFailure(kCommand, read));
    if (batch_.empty() || signals_.termination() != 0) break;
    auto delivery = deliverer_.Deliver(batch_);
    if (!delivery) return Finish(ReportFailure(kCommand, delivery.error()));
    auto settled = Settle(*delivery);
    if (!settled) return Finish(ReportFailure(kCommand, settled.error()));
    progress_.Update(delivered_ + dead_lettered_);
    if (*settled) return Finish(**settled);
  }
  const int signo = signals_.termination();
  return Finish(signo != 0 ? SignalExitStatus(signo) : kExitOk);
}

// Takes what is there, up to the batch size, without waiting for a batch to fill: an event
// is never held back waiting for others. Waits (with follow) only while there is none.
eventlog::Status ReplaySession::ReadBatch() {
  batch_.clear();
  eventlog::Event event;
  while (batch_.size() < target_.batch_size && signals_.termination() == 0) {
    EVLOG_ASSIGN_OR_RETURN(bool more, reader_.Next(&event));
    if (!more) {
      if (!batch_.empty() || !target_.follow || reader_.position() >= target_.end_offset) break;
      EVLOG_RETURN_IF_ERROR(reader_.WaitForAppend(kWaitSliceMs));
      continue;
    }
    if (event.offset >= target_.end_offset) break;
    batch_.push_back(OwnedEvent::CopyOf(event));
  }
  return eventlog::Status::Ok();
}

eventlog::Result<std::optional<int>> ReplaySession::Settle(const Delivery& delivery) {
  switch (delivery.outcome) {
    case Delivery::Outcome::kDelivered:
      EVLOG_RETURN_IF_ERROR(Ack());
      delivered_ += batch_.size();
      return std::optional<int>();
    case Delivery::Outcome::kInterrupted:
      return std::optional<int>(SignalExitStatus(delivery.signal));
    case Delivery::Outcome::kUndeliverable: break;
  }
  if (target_.dead_letter == nullptr) {
    std::string message = fmt::format("{} could not be delivered: {} after {} attempt(s)",
                                      DescribeOffsets(batch_), delivery.last_status, delivery.attempts);
    if (target_.groups != nullptr) {
      message += fmt::format("; group {} stays at {}", target_.group, batch_.front().offset);
    }
    PrintError(kCommand, message);
    return std::optional<int>(kExitUndeliverable);
  }
  EVLOG_RETURN_IF_ERROR(target_.dead_letter->Append(batch_, delivery.attempts, delivery.last_status));
  EVLOG_RETURN_IF_ERROR(Ack());
  dead_lettered_ += batch_.size();
  return std::optional<int>();
}

// Acks from where the group stood: if another program moved it back meanwhile (groups
// --reset-to, --delete), the ack is not written, so the reset stands, and replay stops
// rather than go on delivering what the group no longer asks for next.
eventlog::Status ReplaySession::Ack() {
  if (target_.groups == nullptr) return eventlog::Status::Ok();
  auto acked = target_.groups->AckFrom(target_.group, target_.group_position, batch_.back().offset);
  if (!acked) {
    if (acked.error().code() != eventlog::StatusCode::kConflict) return acked.error();
    return eventlog::Status::Conflict(fmt::format("{}: {} was not acked; run replay again to deliver from where "
                                                  "the group now stands",
                                                  acked.error().message(), DescribeOffsets(batch_)));
  }
  target_.group_position = acked->position;
  return eventlog::Status::Ok();
}

int ReplaySession::Finish(int status) const {
  std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started_;
  progress_.Clear();
  PrintNote(kCommand, fmt::format("{} delivered, {} retried, {} dead-lettered in {:.2f}s",
                                   delivered_, deliverer_.retried(), dead_lettered_,
                                   elapsed.count()));
  return status;
}

}  // namespace evlog
