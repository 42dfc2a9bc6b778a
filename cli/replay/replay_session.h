// The loop of `replay`: read the next event (or batch), deliver it, then ack it or
// dead-letter it, strictly in order: event n+1 is read only once event n is settled.
#pragma once

#include "term/progress.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "replay/dead_letter.h"
#include "eventlog/consumer_groups.h"
#include "eventlog/reader.h"
#include "replay/replay_delivery.h"
#include "replay/signal_pipe.h"

namespace evlog {

struct ReplayTarget {
  uint64_t end_offset = UINT64_MAX;  // exclusive
  bool follow = false;
  uint64_t batch_size = 1;
  eventlog::ConsumerGroups* groups = nullptr;  // with -g, where events are acked
  std::string group;
  uint64_t group_position = 0;  // with -g, where the group stood when replay joined it
  DeadLetterLog* dead_letter = nullptr;        // with --dead-letter
};

class ReplaySession {
 public:
  ReplaySession(eventlog::Reader& reader, Deliverer& deliverer, const SignalPipe& signals,
                ReplayTarget target);

  // Runs to the end of the range (or, with follow, until a signal) and prints the summary.
  // Returns the exit status.
  int Run();

 private:
  eventlog::Status ReadBatch();
  // The exit status once `delivery` of batch_ is settled, or nullopt to go on.
  eventlog::Result<std::optional<int>> Settle(const Delivery& delivery);
  eventlog::Status Ack();
  int Finish(int status) const;

  eventlog::Reader& reader_;
  Deliverer& deliverer_;
  const SignalPipe& signals_;
  ReplayTarget target_;
  std::vector<OwnedEvent> batch_;
  uint64_t delivered_ = 0;
  mutable Progress progress_{"replay", "events", 0};  // on a terminal only; cleared by Finish()
  uint64_t dead_lettered_ = 0;
  std::chrono::steady_clock::time_point started_;
};

}  // namespace evlog
