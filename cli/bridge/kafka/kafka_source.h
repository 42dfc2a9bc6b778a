// Topic -> log: a librdkafka consumer in group GROUP behind the RemoteSource contract
// (remote.h). Offsets are never committed automatically: CommitFetched() commits, per
// partition, the offset after the last message the pump has made durable, so that a crash
// before the append only means receiving those messages again.
//
// Caught up means: the group's assignment has arrived and every assigned partition has
// reported its end (enable.partition.eof) since its last message. Until the assignment
// arrives nothing is known about the topic's end, so Fetch() never says caught up before it.
//
// Rebalances (format-spec/bridge.md §B3). A revoke arrives in the rebalance callback, inside
// rd_kafka_consumer_poll(), while the pump may hold messages of the revoked partitions not
// yet durable. The callback only records the revoke and makes the poll return; Fetch()
// returns at once, the pump appends the round and CommitFetched() commits it while the
// partitions are still ours; the next Fetch() unassigns them. librdkafka allows the unassign
// after the callback (the group waits for it before rejoining, within max.poll.interval.ms),
// and nothing is polled meanwhile. A lost assignment (session expired) is unassigned at once:
// its offsets can no longer be committed.
//
// Within one run a partition may come back with a committed offset below what this run
// already holds in the log (its last commit was refused because the group had moved on):
// messages below the run's own position in that partition are skipped, and that position
// is committed again. This assumes offsets only grow, i.e. the topic is not deleted and
// created again while the bridge runs.
#pragma once

#include <cstdint>
#include <map>
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
  // Unassigns the partitions of a revoke recorded by OnRebalance(), once what was fetched
  // from them has been appended and committed (or its commit refused).
  eventlog::Status CompleteRevoke();
  void ForgetPartitions(const std::vector<int32_t>& partitions);

  std::string remote_;
  std::string topic_;
  std::string group_;
  const SignalPipe& signals_;
  KafkaHandle handle_;
  KafkaWaitNotes wait_notes_;
  bool assigned_ = false;                  // an assignment has arrived
  std::map<int32_t, bool> at_end_;         // assigned partition -> reached its end since its last message
  std::map<int32_t, int64_t> to_commit_;   // partition -> offset after its last message added
  std::map<int32_t, int64_t> position_;    // partition -> offset after its last message in this run's log
  std::optional<std::vector<int32_t>> pending_revoke_;  // revoked, to unassign in the next Fetch()
  bool closing_ = false;                   // in the destructor: rebalances are served at once
  std::optional<eventlog::Status> failure_;
};

}  // namespace evlog
