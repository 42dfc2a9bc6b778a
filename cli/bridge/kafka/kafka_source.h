// Topic -> log: a librdkafka consumer in group GROUP behind the RemoteSource contract
// (remote.h). Offsets are never committed automatically: CommitFetched() commits, per
// partition, the offset after the last message the pump has made durable, so that a crash
// before the append only means receiving those messages again.
//
// Caught up means: the group's assignment has arrived and every assigned partition has
// reported its end (enable.partition.eof) since its last message. Until the assignment
// arrives nothing is known about the topic's end, so Fetch() never says caught up before it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "bridge/endpoint.h"
#include "bridge/engine_options.h"
#include "bridge/kafka/kafka_config.h"
#include "bridge/remote.h"
#include "replay/signal_pipe.h"

struct rd_kafka_message_s;
struct rd_kafka_topic_partition_list_s;

namespace evlog {

class KafkaSource final : public RemoteSource {
 public:
  static eventlog::Result<std::unique_ptr<KafkaSource>> Open(const Endpoint& endpoint, const KafkaOptions& options,
                                                             const std::string& group, const SignalPipe& signals);
  ~KafkaSource() override;

  eventlog::Result<bool> Fetch(std::chrono::milliseconds timeout, LocalAppender& appender) override;
  eventlog::Status CommitFetched() override;

 private:
  KafkaSource(const Endpoint& endpoint, const std::string& group, const SignalPipe& signals);
  static void OnRebalance(rd_kafka_s* handle, int error, rd_kafka_topic_partition_list_s* partitions, void* opaque);
  static void OnError(rd_kafka_s* handle, int error, const char* reason, void* opaque);
  // Adds one message to `appender`, or records a partition's end.
  eventlog::Status Take(const rd_kafka_message_s& message, LocalAppender& appender);
  bool CaughtUp() const;
  eventlog::Status CommitOnce();

  std::string remote_;
  std::string topic_;
  std::string group_;
  const SignalPipe& signals_;
  KafkaHandle handle_;
  KafkaWaitNotes wait_notes_;
  bool assigned_ = false;                  // an assignment has arrived
  std::map<int32_t, bool> at_end_;         // assigned partition -> reached its end since its last message
  std::map<int32_t, int64_t> to_commit_;   // partition -> offset after its last message added
  std::optional<eventlog::Status> failure_;
};

}  // namespace evlog
