// JetStream stream -> log (remote.h's RemoteSource) through a durable pull consumer.
// nats_source.cc explains the consumer and why acknowledging the last message suffices.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <future>
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
  // kInvalidArgument, naming what to do, unless an existing consumer of this name is one the
  // bridge could have created: a pull consumer with AckPolicy all over the whole stream,
  // delivering from its start or from a stream sequence, payloads included, taking pull
  // requests as large as the bridge's, and never deleted for inactivity.
  eventlog::Status RefuseUnfitConsumer(const jsConsumerConfig& config) const;
  eventlog::Status Restart(const jsConsumerInfo& info);
  // Deletes consumer `name` of the stream: false if there was none.
  eventlog::Result<bool> DeleteConsumer(const std::string& name);
  // Adds durable `name` (the bridge's configuration) delivering from stream sequence `from`,
  // or the whole stream when 0; its next delivery's predecessor goes to *delivered.
  eventlog::Status AddConsumer(const std::string& name, uint64_t from, uint64_t* delivered,
                               const char* description = nullptr, jsErrCode* refused = nullptr);
  // Creates the consumer again from the restart marker's start (Subscribe).
  eventlog::Status ResumeFromMarker(uint64_t from);
  // The restart marker (nats_source.cc). Requests about it never fail the bridge: it only
  // narrows a crash window, except where Restart says otherwise.
  struct Marker {
    enum State { kNone, kOurs, kSomeoneElses, kUnknown } state = kNone;
    uint64_t start = 0;  // kOurs: where the consumer must deliver from
  };
  Marker FindMarker();
  bool DeleteMarker();
  // Replaces any marker of an earlier run with one at `from`: false if there is none after.
  bool PlaceMarker(uint64_t from);
  // Whether the stream keeps messages only while a consumer wants them.
  eventlog::Result<bool> KeptByInterest();
  // Adds one message, unless it is a redelivery of one added already, or a delivery after
  // a lost one (then sets restart_).
  // Takes `msg` when it is added (it becomes last_added_); otherwise leaves it to the caller.
  eventlog::Status Add(NatsPtr<natsMsg>& msg, LocalAppender& appender);
  // Messages of one fetch, in delivery order, and how the fetch ended.
  struct Batch {
    std::vector<NatsPtr<natsMsg>> msgs;
    eventlog::Status failure;  // made on the fetching thread, where libnats keeps its error text
  };
  // `what` names the fetch in an error.
  static Batch FetchFrom(natsSubscription* subscription, int64_t wait_ms, const std::string& what);
  // Moves the next batch into fetched_: the one prefetched, else one fetched now. When the
  // server says more are pending, the batch after it is fetched on another thread meanwhile.
  eventlog::Status FetchBatch(int64_t wait_ms, bool* got);
  void Prefetch(int64_t wait_ms);
  // Waits for a prefetch in flight and destroys what it brought.
  void DropPrefetch();
  eventlog::Result<bool> NothingPending();
  void Note(std::string message);

  std::unique_ptr<NatsConnection> connection_;
  std::string remote_;
  std::string stream_;
  std::string durable_;
  std::string marker_;      // the restart marker's name
  std::string marker_description_;
  std::string fetch_what_;  // names a fetch in its error
  const SignalPipe& signals_;
  jsCtx* js_ = nullptr;
  NatsPtr<natsSubscription> subscription_;
  // The fetch after the last one, in flight while that one's messages are added: without
  // it the server waits idle while the bridge decodes and appends each batch.
  std::future<Batch> prefetched_;
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
