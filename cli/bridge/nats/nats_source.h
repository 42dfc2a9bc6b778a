// JetStream stream -> log (remote.h's RemoteSource) through a durable pull consumer.
// nats_source.cc explains the consumer and why acknowledging the last message suffices.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "bridge/nats/nats_connection.h"
#include "bridge/nats/nats_message_codec.h"
#include "bridge/remote.h"
#include "replay/signal_pipe.h"

namespace evlog {

class NatsSource : public RemoteSource {
 public:
  NatsSource(std::unique_ptr<NatsConnection> connection, const Endpoint& endpoint, std::string durable,
             const SignalPipe& signals);
  ~NatsSource() override;

  eventlog::Result<bool> Fetch(std::chrono::milliseconds timeout, LocalAppender& appender) override;
  eventlog::Status CommitFetched() override;

 private:
  eventlog::Status Subscribe();
  eventlog::Status Restart(const jsConsumerInfo& info);
  // Adds one message, unless it is a redelivery of one added already, or a delivery after
  // a lost one (then sets restart_).
  // Takes `msg` when it is added (it becomes last_added_); otherwise leaves it to the caller.
  eventlog::Status Add(NatsPtr<natsMsg>& msg, LocalAppender& appender);
  eventlog::Status FetchBatch(int64_t wait_ms, bool* got);
  eventlog::Result<bool> NothingPending();
  void Note(std::string message);

  std::unique_ptr<NatsConnection> connection_;
  std::string remote_;
  std::string stream_;
  std::string durable_;
  const SignalPipe& signals_;
  jsCtx* js_ = nullptr;
  NatsPtr<natsSubscription> subscription_;
  std::deque<NatsPtr<natsMsg>> fetched_;  // not yet added (the appender was full)
  NatsPtr<natsMsg> last_added_;           // acknowledged by CommitFetched (AckAll)
  // Messages done with, destroyed together: libnats hands each destroyed message to its
  // garbage-collector thread and wakes it when its list was empty, which one at a time
  // means a wake-up (two context switches) per message.
  std::vector<NatsPtr<natsMsg>> spent_;
  uint64_t last_added_sequence_ = 0;
  uint64_t last_delivery_ = 0;  // consumer sequence of the last delivery received
  bool restart_ = false;        // a delivery was lost: subscribe anew before fetching
  bool subscribed_before_ = false;
  uint64_t pending_after_last_ = 1;  // NumPending of the last message received
  DecodedNatsEvent decoded_;
  std::vector<WireHeaderGroup> groups_;
  std::vector<eventlog::HeaderView> views_;
  std::chrono::steady_clock::time_point last_note_{};
  bool noted_ = false;
};

}  // namespace evlog
