#include "replay_delivery.h"

#include <fmt/core.h>

#include <random>

#include "duration_parse.h"
#include "report.h"

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
    ChildSpec spec{options_.command,
                   CommandEnvironment(inherited_environment_, events, options_.context, attempt)};
    EVLOG_ASSIGN_OR_RETURN(ChildResult result, RunChild(spec, input, options_.limits, signals_));
    delivery.attempts = attempt;
    delivery.last_status = result.Describe();
    if (result.interrupted_by != 0) {
      delivery.outcome = Delivery::Outcome::kInterrupted;
      delivery.signal = result.interrupted_by;
      return delivery;
    }
    if (result.succeeded()) return delivery;
    const bool rejected = result.end == ChildResult::End::kExited && result.value == kExitDataError;
    if (rejected || attempt >= options_.max_attempts) {
      ReportFailedAttempt(events, attempt, result, rejected ? "rejected, not retried" : "giving up");
      delivery.outcome = Delivery::Outcome::kUndeliverable;
      return delivery;
    }
    std::chrono::milliseconds delay = backoff_.Delay(attempt);
    ReportFailedAttempt(events, attempt, result, "retrying in " + FormatDuration(delay));
    if (int signo = signals_.Sleep(delay); signo != 0) {
      delivery.outcome = Delivery::Outcome::kInterrupted;
      delivery.signal = signo;
      return delivery;
    }
  }
}

void Deliverer::ReportFailedAttempt(std::span<const OwnedEvent> events, int attempt,
                                    const ChildResult& result, std::string_view next) const {
  PrintError("replay", fmt::format("{}: attempt {} of {} failed ({}); {}", DescribeOffsets(events),
                                   attempt, options_.max_attempts, result.Describe(), next));
}

}  // namespace evlog
