// Log -> JetStream subject (remote.h's RemoteSink) through libnats's asynchronous JetStream
// publish. nats_sink.cc explains how the stream keeps the log's order across failures.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "bridge/nats/nats_connection.h"
#include "bridge/nats/nats_message_codec.h"
#include "bridge/nats/publish_order.h"
#include "bridge/remote.h"
#include "replay/signal_pipe.h"

namespace evlog {

class NatsSink : public RemoteSink {
 public:
  NatsSink(std::unique_ptr<NatsConnection> connection, const Endpoint& endpoint, std::string log_id,
           const SignalPipe& signals);
  ~NatsSink() override;
  eventlog::Status Start();

  eventlog::Status Send(const eventlog::Event& event) override;
  eventlog::Status Poll(std::chrono::milliseconds timeout, std::vector<uint64_t>* confirmed) override;

 private:
  // kNormal: publishing as events come. kSettle: a publish failed or the connection was
  // lost; nothing is published until every unconfirmed message is back in held_, the
  // server answers and the stream is there. kResend: held_ goes out again in offset order.
  enum class Phase { kNormal, kSettle, kResend };
  using Clock = std::chrono::steady_clock;

  static void OnAck(jsCtx*, natsMsg* msg, jsPubAck* ack, jsPubAckErr* error, void* closure);
  eventlog::Result<NatsPtr<natsMsg>> Build(const eventlog::Event& event);
  eventlog::Status Publish(uint64_t offset, NatsPtr<natsMsg> msg);
  bool Disrupted();
  void EnterSettle(std::string_view why);
  eventlog::Status Settle(std::chrono::milliseconds budget);
  eventlog::Status Resend();
  eventlog::Status WaitForRoom();
  void Note(std::string message);
  void WarnMisorder(const Misorder& misorder) const;

  std::unique_ptr<NatsConnection> connection_;
  jsCtx* js_ = nullptr;
  std::string remote_;
  std::string subject_;
  std::string log_id_;
  std::string msg_id_prefix_;  // "LOGID:SUBJECT:"
  const SignalPipe& signals_;

  std::mutex mutex_;  // guards what OnAck, on libnats's thread, shares with the pump's
  std::condition_variable changed_;
  std::vector<uint64_t> confirmed_;
  PublishOrderCheck order_;
  std::map<uint64_t, NatsPtr<natsMsg>> failed_;  // came back with an error to retry
  std::string failure_;                           // why the last retryable error happened
  eventlog::Status refused_;                      // a message the server refuses for good
  // Atomic, so that publishing takes no lock while all goes well.
  std::atomic<bool> failed_or_refused_{false};    // failure_ or refused_ is set
  std::atomic<uint64_t> in_library_{0};           // published, neither confirmed nor back

  Phase phase_ = Phase::kSettle;  // the stream is looked up before the first publish
  std::map<uint64_t, NatsPtr<natsMsg>> held_;  // unconfirmed, to publish in offset order
  uint64_t disconnects_seen_ = 0;
  bool published_ = false;
  WireHeaders wire_;  // Build's, reused
  Clock::time_point last_note_{};
  bool noted_outage_ = false;
};

}  // namespace evlog
