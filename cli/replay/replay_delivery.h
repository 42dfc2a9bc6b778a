// Delivering one event, or one batch, to `replay`'s command: attempts, backoff between
// them, and the verdict.
//
// Exit 0 delivers. Exit 65 (EX_DATAERR: the command rejects the data) ends delivery at
// once: retrying cannot help. Any other exit status, death by a signal, or the time limit
// is a failed attempt, retried after a backoff (backoff.h) until `max_attempts` ran.
// A SIGINT or SIGTERM ends delivery, forwarded to a running command; the event is then
// not delivered, whatever the command's status.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "replay/backoff.h"
#include "replay/child_process.h"
#include "replay/replay_input.h"
#include "replay/signal_pipe.h"

namespace evlog {

inline constexpr int kExitDataError = 65;  // EX_DATAERR from <sysexits.h>

struct DeliveryOptions {
  std::vector<std::string> command;
  ReplayContext context;
  int max_attempts = 5;
  ChildLimits limits;
  std::chrono::milliseconds backoff{500};
  std::chrono::milliseconds backoff_max{30'000};
};

struct Delivery {
  enum class Outcome { kDelivered, kUndeliverable, kInterrupted };
  Outcome outcome = Outcome::kDelivered;
  int attempts = 0;
  std::string last_status;  // ChildResult::Describe() of the last attempt
  int signal = 0;           // kInterrupted: the signal that ended delivery
};

class Deliverer {
 public:
  Deliverer(DeliveryOptions options, const SignalPipe& signals);

  // Errors: the command could not be started (this is not retried: it would fail the same
  // way for every event).
  eventlog::Result<Delivery> Deliver(std::span<const OwnedEvent> events);

  // Attempts beyond the first, over all deliveries.
  uint64_t retried() const { return retried_; }

 private:
  // One attempt; kFailed if the event cannot be delivered by construction (a header name
  // too long for a variable), kInvalidArgument if exec found the environment too large.
  eventlog::Result<ChildResult> Run(std::span<const OwnedEvent> events, std::string_view input, int attempt,
                                    ValueFiles* files, bool all_in_files);
  // `next`: what happens now ("retrying in 1s", "giving up").
  void ReportFailedAttempt(std::span<const OwnedEvent> events, int attempt,
                           const ChildResult& result, std::string_view next) const;

  DeliveryOptions options_;
  const SignalPipe& signals_;
  std::vector<std::string> inherited_environment_;
  Backoff backoff_;
  uint64_t retried_ = 0;
};

}  // namespace evlog
