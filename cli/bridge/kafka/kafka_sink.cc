#include "bridge/kafka/kafka_sink.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>

#include <fmt/format.h>

#include "bridge/bridge_headers.h"

namespace evlog {

using eventlog::Result;
using eventlog::Status;

namespace {

// While the producer queue is full, Send() serves delivery reports this long at a time.
constexpr int kQueueFullPollMs = 100;

// The producer settings the guarantee rests on (format-spec/bridge.md §B3); -X may tune
// the rest (batching, TLS, SASL) but not these (kafka_config.cc refuses them).
std::vector<std::pair<std::string, std::string>> ProducerSettings() {
  return {
      {"enable.idempotence", "true"},
      {"acks", "all"},
      // 0 is "never": an unreachable cluster is waited for, never a reason to drop a message.
      {"message.timeout.ms", "0"},
      // Kafka's Java clients' default partitioner: murmur2 of the key, keyless messages spread.
      {"partitioner", "murmur2_random"},
      // Larger batches than librdkafka's defaults: the bridge always has a backlog to send.
      {"linger.ms", "20"},
      {"batch.num.messages", "100000"},
      {"batch.size", "4000000"},
      // Above the pump's in-flight bound, so that a full queue is the exception.
      {"queue.buffering.max.messages", "200000"},
  };
}

// The record's CreateTime (§B3): whole milliseconds, rounded down (toward minus infinity,
// not zero). librdkafka reads 0 as "now": an event in the first millisecond of 1970 is sent
// as 1 ms, the nearest time Kafka keeps. Before 1970 Kafka has no timestamps (-1 means
// none): such an event gets -1, and the exact time is in evlog.timestamp either way.
int64_t KafkaTimestamp(int64_t nanoseconds) {
  if (nanoseconds < 0) return -1;
  return std::max<int64_t>(nanoseconds / 1'000'000, 1);
}

}  // namespace

KafkaSink::KafkaSink(const Endpoint& endpoint, const KafkaOptions& options, const std::string& log_id,
                     const SignalPipe& signals)
    : remote_(endpoint.text),
      topic_(endpoint.name),
      partition_(options.partition),
      log_id_(log_id),
      signals_(signals),
      wait_notes_(endpoint.text) {}

Result<std::unique_ptr<KafkaSink>> KafkaSink::Open(const Endpoint& endpoint, const KafkaOptions& options,
                                                   const std::string& log_id, const SignalPipe& signals) {
  std::unique_ptr<KafkaSink> sink(new KafkaSink(endpoint, options, log_id, signals));
  EVLOG_ASSIGN_OR_RETURN(KafkaConf conf, NewKafkaConf(endpoint, ProducerSettings(), options));
  rd_kafka_conf_set_opaque(conf.get(), sink.get());
  rd_kafka_conf_set_dr_msg_cb(conf.get(), OnDelivery);
  rd_kafka_conf_set_error_cb(conf.get(), OnError);
  EVLOG_ASSIGN_OR_RETURN(sink->handle_, NewKafkaHandle(RD_KAFKA_PRODUCER, std::move(conf)));
  sink->topic_handle_.reset(rd_kafka_topic_new(sink->handle_.get(), sink->topic_.c_str(), nullptr));
  if (!sink->topic_handle_) {
    return Status::InvalidArgument(fmt::format("{}: librdkafka refused the topic name '{}': {}", endpoint.text,
                                               sink->topic_, rd_kafka_err2str(rd_kafka_last_error())));
  }
  return sink;
}

void KafkaSink::TopicDeleter::operator()(rd_kafka_topic_s* topic) const { rd_kafka_topic_destroy(topic); }

KafkaSink::~KafkaSink() {
  if (!handle_) return;
  // The pump drained every confirmation it could wait for. What is still queued (a signal
  // during an outage, an error) was never acked and is sent again by the next run, so it
  // is dropped rather than waited for without end.
  rd_kafka_purge(handle_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT | RD_KAFKA_PURGE_F_NON_BLOCKING);
  rd_kafka_flush(handle_.get(), 1000);
}

void KafkaSink::Fail(Status status) {
  if (!failure_) failure_ = std::move(status);
}

void KafkaSink::OnDelivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
  auto* sink = static_cast<KafkaSink*>(opaque);
  const auto offset = reinterpret_cast<uintptr_t>(message->_private);
  if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    sink->delivered_.push_back(offset);
    return;
  }
  if (message->err == RD_KAFKA_RESP_ERR__PURGE_QUEUE || message->err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT) return;
  std::string reason = rd_kafka_err2str(message->err);
  if (message->err == RD_KAFKA_RESP_ERR__FATAL && !sink->fatal_reason_.empty()) reason = sink->fatal_reason_;
  sink->Fail(Status::Failed(fmt::format("event at offset {} was not stored in {}: {}; nothing from it on was acked",
                                        offset, sink->remote_, reason)));
}

void KafkaSink::OnError(rd_kafka_t* handle, int error, const char* reason, void* opaque) {
  auto* sink = static_cast<KafkaSink*>(opaque);
  if (error != RD_KAFKA_RESP_ERR__FATAL) {
    // Transport errors, "all brokers down": librdkafka retries by itself; only say so.
    sink->wait_notes_.Note(reason);
    return;
  }
  // An idempotence failure (the broker lost messages it had acknowledged, a sequence gap):
  // the producer stops; the delivery reports that follow name the offsets it held.
  char detail[512];
  rd_kafka_fatal_error(handle, detail, sizeof detail);
  sink->fatal_reason_ = fmt::format("fatal producer error: {}", LibrdkafkaError(detail));
  sink->Fail(Status::Failed(fmt::format("{}: {}", sink->remote_, sink->fatal_reason_)));
}

Status KafkaSink::Send(const eventlog::Event& event) {
  if (failure_) return *failure_;
  const BridgeHeaderValues bridge(event.offset, event.timestamp_ns);
  for (;;) {
    rd_kafka_headers_t* headers = rd_kafka_headers_new(event.headers.size() + 3);
    for (const eventlog::HeaderView& header : event.headers)
      rd_kafka_header_add(headers, header.name.data(), header.name.size(), header.value.data(), header.value.size());
    rd_kafka_header_add(headers, kLogIdHeader.data(), kLogIdHeader.size(), log_id_.data(), log_id_.size());
    rd_kafka_header_add(headers, kOffsetHeader.data(), kOffsetHeader.size(), bridge.offset().data(),
                        bridge.offset().size());
    rd_kafka_header_add(headers, kTimestampHeader.data(), kTimestampHeader.size(), bridge.timestamp().data(),
                        bridge.timestamp().size());
    // An absent key is Kafka's null key; an empty one stays an empty key (a non-null
    // pointer with length 0), which librdkafka keeps distinct.
    static const char kEmpty[1] = {};
    const void* key = event.key ? (event.key->empty() ? kEmpty : event.key->data()) : nullptr;
    const size_t key_size = event.key ? event.key->size() : 0;
    const rd_kafka_resp_err_t error = rd_kafka_producev(
        handle_.get(), RD_KAFKA_V_RKT(topic_handle_.get()),
        RD_KAFKA_V_PARTITION(partition_.value_or(RD_KAFKA_PARTITION_UA)),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key, key_size),
        RD_KAFKA_V_VALUE(const_cast<char*>(event.payload.data()), event.payload.size()),
        RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_TIMESTAMP(KafkaTimestamp(event.timestamp_ns)),
        RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(static_cast<uintptr_t>(event.offset))), RD_KAFKA_V_END);
    if (error == RD_KAFKA_RESP_ERR_NO_ERROR) return Status::Ok();  // the headers are the producer's now
    rd_kafka_headers_destroy(headers);
    if (error != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      return Status::Failed(
          fmt::format("event at offset {} cannot be sent to {}: {}", event.offset, remote_, rd_kafka_err2str(error)));
    }
    // Make room by serving delivery reports (kept for the next Poll()); a signal here
    // ends the bridge with the event unsent, which the next run sends.
    rd_kafka_poll(handle_.get(), kQueueFullPollMs);
    if (failure_) return *failure_;
    if (signals_.termination()) {
      return Status::Busy(fmt::format("interrupted while {}'s producer queue was full; event at offset {} "
                                      "and later were not sent",
                                      remote_, event.offset));
    }
  }
}

Status KafkaSink::Poll(std::chrono::milliseconds timeout, std::vector<uint64_t>* confirmed) {
  rd_kafka_poll(handle_.get(), static_cast<int>(timeout.count()));
  confirmed->insert(confirmed->end(), delivered_.begin(), delivered_.end());
  delivered_.clear();
  if (failure_) return *failure_;
  return Status::Ok();
}

}  // namespace evlog
