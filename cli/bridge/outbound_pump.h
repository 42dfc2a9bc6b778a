// Log -> remote: reads a log from a group's position, hands each event to a RemoteSink, and
// acks the group only as far as the remote has confirmed every event in order
// (confirmed_prefix.h). A crash or an outage therefore costs re-sent events, never lost ones.
//
// Acks are LMDB commits, each an fsync, so they are not made per event: the position moves
// at most every ack_interval and once more at the end. A crash re-sends what the remote
// confirmed since the last ack; NATS drops those as duplicates (Nats-Msg-Id), Kafka stores
// them again (at least once).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "bridge/confirmed_prefix.h"
#include "bridge/remote.h"
#include "eventlog/consumer_groups.h"
#include "eventlog/log.h"
#include "replay/signal_pipe.h"
#include "term/progress.h"

namespace evlog {

struct OutboundOptions {
  std::string group;
  bool follow = false;
  std::string remote;  // the endpoint as the user wrote it, for messages
  // Sent and not yet confirmed: bounds memory and the work an outage piles up.
  uint64_t max_in_flight = 100'000;
  std::chrono::milliseconds ack_interval{200};
  // With follow: how long a SIGINT or SIGTERM waits for the confirmations of events in
  // flight, so that they are acked rather than sent again by the next run.
  std::chrono::milliseconds drain_timeout{5000};
};

class OutboundPump {
 public:
  OutboundPump(eventlog::Log& log, eventlog::ConsumerGroups& groups, RemoteSink& sink, const SignalPipe& signals,
               OutboundOptions options);

  // Relays until caught up and every event is confirmed (without follow) or a signal.
  eventlog::Status Run();

  // "relayed 1,000 events (offsets 0..999) to kafka://...; group G at 1000, lag 0".
  std::string Summary() const;

 private:
  eventlog::Status Relay(eventlog::Reader& reader);
  eventlog::Status SendAvailable(eventlog::Reader& reader, bool* caught_up);
  eventlog::Status PollConfirmations(std::chrono::milliseconds timeout);
  eventlog::Status AckConfirmed(bool force);
  eventlog::Status Drain(std::chrono::milliseconds limit);
  void CollectLateConfirmations();

  eventlog::Log& log_;
  eventlog::ConsumerGroups& groups_;
  RemoteSink& sink_;
  const SignalPipe& signals_;
  OutboundOptions options_;
  ConfirmedPrefix prefix_;
  std::vector<uint64_t> confirmed_;
  std::optional<uint64_t> acked_;  // the last offset acked to the group by this run
  std::chrono::steady_clock::time_point last_ack_;
  uint64_t start_position_ = 0;
  uint64_t sent_ = 0;
  uint64_t confirmed_count_ = 0;
  std::optional<uint64_t> first_sent_;
  std::optional<uint64_t> last_sent_;
  mutable Progress progress_{"bridge", "events", 0};  // on a terminal only; cleared by Summary()
};

}  // namespace evlog
