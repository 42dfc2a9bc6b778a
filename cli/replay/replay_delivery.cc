#include "replay/replay_delivery.h"

#include <fmt/core.h>

#include <random>

#include "args/duration_parse.h"
#include "term/report.h"

namespace evlog {

Deliverer::Deliverer(DeliveryOptions options, const SignalPipe& signals)
    : options_(std::move(options)),
      signals_(signals),
      inherited_environment_(InheritedEnvironment()),
      backoff_(options_.backoff, options_.backoff_max, std::random_device{}()) {}

eventlog::Result<Delivery> Deliverer::Deliver(std::span<const OwnedEvent> events) {
  EVLOG_ASSIGN_OR_RETURN(const std::string input, CommandInput(events, options_.context));
  Delivery delivery;
  for (int attempt = 1;; ++attempt) {
    if (attempt > 1) ++retried_;
    ValueFiles files;  // open until the command has exited
    auto result = Run(events, input, attempt, &files, false);
    if (!result && result.error().code() == eventlog::StatusCode::kInvalidArgument) {
      // Too large for exec even with the usual values in files: try the key and every
      // header in files. If exec still refuses, the command line or evlog's own
      // environment is too large, which no event can fix: that error ends replay.
      ValueFiles all;
      result = Run(events, input, attempt, &all, true);
      if (!result && result.error().code() == eventlog::StatusCode::kInvalidArgument) {
        return eventlog::Status::IOError(result.error().message() + ", even with the key and headers in files");
      }
    }
    if (!result && result.error().code() == eventlog::StatusCode::kFailed) {
      // Undeliverable by construction: retrying cannot help.
      delivery.attempts = attempt;
      delivery.last_status = result.error().message();
      delivery.outcome = Delivery::Outcome::kUndeliverable;
      PrintError("replay", fmt::format("{}: cannot be delivered: {}", DescribeOffsets(events), delivery.last_status));
      return delivery;
    }
    EVLOG_RETURN_IF_ERROR(result.status());
    const ChildResult& child = *result;
    delivery.attempts = attempt;
    delivery.last_status = child.Describe();
    if (child.interrupted_by != 0) {
      delivery.outcome = Delivery::Outcome::kInterrupted;
      delivery.signal = child.interrupted_by;
      return delivery;
    }
    if (child.succeeded()) return delivery;
    const bool rejected = child.end == ChildResult::End::kExited && child.value == kExitDataError;
    if (rejected || attempt >= options_.max_attempts) {
      ReportFailedAttempt(events, attempt, child, rejected ? "rejected, not retried" : "giving up");
      delivery.outcome = Delivery::Outcome::kUndeliverable;
      return delivery;
    }
    std::chrono::milliseconds delay = backoff_.Delay(attempt);
    ReportFailedAttempt(events, attempt, child, "retrying in " + FormatDuration(delay));
    if (int signo = signals_.Sleep(delay); signo != 0) {
      delivery.outcome = Delivery::Outcome::kInterrupted;
      delivery.signal = signo;
      return delivery;
    }
  }
}

eventlog::Result<ChildResult> Deliverer::Run(std::span<const OwnedEvent> events, std::string_view input, int attempt,
                                            ValueFiles* files, bool all_in_files) {
  auto environment =
      CommandEnvironment(inherited_environment_, events, options_.context, attempt, files, all_in_files);
  if (!environment && environment.error().code() == eventlog::StatusCode::kInvalidArgument) {
    return eventlog::Status::Failed(environment.error().message());  // the event's own fault
  }
  EVLOG_RETURN_IF_ERROR(environment.status());
  return RunChild(ChildSpec{options_.command, std::move(environment).value()}, input, options_.limits, signals_);
}

void Deliverer::ReportFailedAttempt(std::span<const OwnedEvent> events, int attempt,
                                    const ChildResult& result, std::string_view next) const {
  PrintError("replay", fmt::format("{}: attempt {} of {} failed ({}); {}", DescribeOffsets(events),
                                   attempt, options_.max_attempts, result.Describe(), next));
}

}  // namespace evlog
