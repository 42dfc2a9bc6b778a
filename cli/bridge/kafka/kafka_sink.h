// Log -> topic: an idempotent librdkafka producer behind the RemoteSink contract (remote.h).
//
// Idempotence (enable.idempotence=true: acks=all, at most 5 requests in flight, retries
// without end, sequence numbers per partition) keeps each partition in send order across
// retries and broker failovers, and message.timeout.ms=0 lets a message wait out an outage
// of any length rather than fail. Every message's opaque is the event's offset, so that its
// delivery report is the confirmation the pump needs; a message that fails for good is an
// error naming that offset.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bridge/endpoint.h"
#include "bridge/engine_options.h"
#include "bridge/kafka/kafka_config.h"
#include "bridge/remote.h"
#include "replay/signal_pipe.h"

struct rd_kafka_message_s;
struct rd_kafka_topic_s;

namespace evlog {

class KafkaSink final : public RemoteSink {
 public:
  static eventlog::Result<std::unique_ptr<KafkaSink>> Open(const Endpoint& endpoint, const KafkaOptions& options,
                                                           const std::string& log_id, const SignalPipe& signals);
  ~KafkaSink() override;

  eventlog::Status Send(const eventlog::Event& event) override;
  eventlog::Status Poll(std::chrono::milliseconds timeout, std::vector<uint64_t>* confirmed) override;

 private:
  KafkaSink(const Endpoint& endpoint, const KafkaOptions& options, const std::string& log_id,
            const SignalPipe& signals);
  static void OnDelivery(rd_kafka_s* handle, const rd_kafka_message_s* message, void* opaque);
  static void OnError(rd_kafka_s* handle, int error, const char* reason, void* opaque);
  // The first error to end the bridge with; later ones are consequences.
  void Fail(eventlog::Status status);

  std::string remote_;
  std::string topic_;
  std::optional<int32_t> partition_;
  std::string log_id_;
  const SignalPipe& signals_;
  KafkaHandle handle_;
  // Created up front rather than named in each message: rd_kafka_topic_new() asks the
  // cluster for the topic's partitions at once (a topic first named by producev() waits for
  // librdkafka's periodic refresh, a second in 2.0.2), and producing to a handle skips the
  // lookup by name under the client's lock on every message. Declared after handle_, so
  // destroyed before it.
  struct TopicDeleter {
    void operator()(rd_kafka_topic_s* topic) const;
  };
  std::unique_ptr<rd_kafka_topic_s, TopicDeleter> topic_handle_;
  KafkaWaitNotes wait_notes_;
  std::vector<uint64_t> delivered_;  // since the last Poll()
  std::optional<eventlog::Status> failure_;
  std::string fatal_reason_;
};

}  // namespace evlog
