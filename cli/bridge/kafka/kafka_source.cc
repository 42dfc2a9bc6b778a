#include "bridge/kafka/kafka_source.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "bridge/bridge_headers.h"
#include "bridge/local_appender.h"
#include "term/report.h"

namespace evlog {

using eventlog::Result;
using eventlog::Status;

namespace {

constexpr std::chrono::milliseconds kCommitRetryWait{500};

// The consumer settings the guarantee rests on (format-spec/bridge.md §B3).
std::vector<std::pair<std::string, std::string>> ConsumerSettings(const std::string& group) {
  return {
      {"group.id", group},
      // Offsets move only in CommitFetched(), after the append is durable.
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      // A new group starts at the beginning of the topic, not at messages yet to come.
      {"auto.offset.reset", "earliest"},
      // How the source knows it is caught up.
      {"enable.partition.eof", "true"},
      // librdkafka 2.0.2 stops fetching once this many messages wait in the client for
      // every partition together (100,000 by default), and looks again only when its broker
      // thread next wakes, up to a second later: a consumer that drains the queue faster
      // than that then idles. A copy of 786k messages from the mock cluster waited in
      // these pauses for about half its time (7.7 s, 4.1 s with this value). The messages'
      // data waiting is still capped by queued.max.messages.kbytes (64 MiB by default), but
      // not librdkafka's per-message overhead: peak RSS went from about 100 MiB to about
      // 210 MiB. -X may lower either setting.
      {"queued.min.messages", "1000000"},
  };
}

// Errors a commit may meet while the group coordinator moves or is unreachable: worth
// another try, as the messages are already durable and only their position is at stake.
bool RetriableCommitError(rd_kafka_resp_err_t error) {
  switch (error) {
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__WAIT_COORD:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
    case RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS: return true;
    default: return false;
  }
}

// Errors saying the group has rebalanced (or is rebalancing) since the messages were
// fetched: the partitions may belong to another member now, which may have committed
// further. Trying again would commit with the next generation, possibly for partitions this
// member no longer owns, moving their offset backwards; so the commit is given up.
bool GroupMovedOn(rd_kafka_resp_err_t error) {
  switch (error) {
    case RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION:
    case RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID:
    case RD_KAFKA_RESP_ERR__ASSIGNMENT_LOST: return true;
    default: return false;
  }
}

bool Cooperative(rd_kafka_t* handle) { return std::strcmp(rd_kafka_rebalance_protocol(handle), "COOPERATIVE") == 0; }

struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* list) const { rd_kafka_topic_partition_list_destroy(list); }
};
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;

// Commits `offsets` (partition -> next offset) synchronously. The group's answer for the
// commit as a whole or, failing that, for its first partition that failed.
rd_kafka_resp_err_t Commit(rd_kafka_t* handle, const std::string& topic, const std::map<int32_t, int64_t>& offsets) {
  PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
  for (const auto& [partition, offset] : offsets)
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition)->offset = offset;
  rd_kafka_resp_err_t error = rd_kafka_commit(handle, list.get(), 0 /* synchronous */);
  for (int i = 0; error == RD_KAFKA_RESP_ERR_NO_ERROR && i < list->cnt; ++i) error = list->elems[i].err;
  return error;
}

}  // namespace

KafkaSource::KafkaSource(const Endpoint& endpoint, const std::string& group, const SignalPipe& signals)
    : remote_(endpoint.text), topic_(endpoint.name), group_(group), signals_(signals), wait_notes_(endpoint.text) {}

Result<std::unique_ptr<KafkaSource>> KafkaSource::Open(const Endpoint& endpoint, const KafkaOptions& options,
                                                       const std::string& group, const SignalPipe& signals) {
  std::unique_ptr<KafkaSource> source(new KafkaSource(endpoint, group, signals));
  EVLOG_ASSIGN_OR_RETURN(KafkaConf conf, NewKafkaConf(endpoint, ConsumerSettings(group), options));
  rd_kafka_conf_set_opaque(conf.get(), source.get());
  rd_kafka_conf_set_rebalance_cb(
      conf.get(), [](rd_kafka_t* handle, rd_kafka_resp_err_t error, rd_kafka_topic_partition_list_t* partitions,
                     void* opaque) { OnRebalance(handle, error, partitions, opaque); });
  rd_kafka_conf_set_error_cb(conf.get(), OnError);
  EVLOG_ASSIGN_OR_RETURN(source->handle_, NewKafkaHandle(RD_KAFKA_CONSUMER, std::move(conf)));
  rd_kafka_poll_set_consumer(source->handle_.get());
  PartitionList topics(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(topics.get(), source->topic_.c_str(), RD_KAFKA_PARTITION_UA);
  if (rd_kafka_resp_err_t error = rd_kafka_subscribe(source->handle_.get(), topics.get())) {
    return Status::Failed(fmt::format("subscribing to {}: {}", endpoint.text, rd_kafka_err2str(error)));
  }
  return source;
}

KafkaSource::~KafkaSource() {
  if (!handle_) return;
  // The pump has made durable and committed what it could; a revoke still pending has nothing
  // left to wait for, and the revoke that closing brings is served in the callback.
  closing_ = true;
  if (pending_revoke_) (void)CompleteRevoke();
  // Leaves the group at once (so that a next run is assigned the partitions without waiting
  // for a session timeout); commits nothing, auto-commit being off.
  rd_kafka_consumer_close(handle_.get());
}

void KafkaSource::OnRebalance(rd_kafka_t* handle, int error, rd_kafka_topic_partition_list_t* partitions,
                              void* opaque) {
  auto* source = static_cast<KafkaSource*>(opaque);
  if (error == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    if (Cooperative(handle)) {
      if (rd_kafka_error_t* failed = rd_kafka_incremental_assign(handle, partitions)) rd_kafka_error_destroy(failed);
    } else {
      rd_kafka_assign(handle, partitions);
    }
    for (int i = 0; i < partitions->cnt; ++i) source->at_end_[partitions->elems[i].partition] = false;
    source->assigned_ = true;
    return;
  }
  std::vector<int32_t> revoked;
  for (int i = 0; i < partitions->cnt; ++i) revoked.push_back(partitions->elems[i].partition);
  // Lost (or a failed rebalance): the partitions may be another member's already, and no
  // commit would be accepted; what was fetched from them is still appended, and their next
  // owner receives it again.
  const bool lost = error != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS || rd_kafka_assignment_lost(handle);
  if (lost || source->closing_) {
    source->pending_revoke_ = std::move(revoked);
    (void)source->CompleteRevoke();
    return;
  }
  // Revoked: commit first, unassign after (see kafka_source.h). The poll returns now, so that
  // nothing more is fetched before the pump has appended and committed.
  source->pending_revoke_ = std::move(revoked);
  rd_kafka_yield(handle);
}

Status KafkaSource::CompleteRevoke() {
  std::vector<int32_t> revoked = std::move(*pending_revoke_);
  pending_revoke_.reset();
  rd_kafka_resp_err_t error = RD_KAFKA_RESP_ERR_NO_ERROR;
  if (Cooperative(handle_.get())) {
    PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(revoked.size())));
    for (int32_t partition : revoked) rd_kafka_topic_partition_list_add(list.get(), topic_.c_str(), partition);
    if (rd_kafka_error_t* failed = rd_kafka_incremental_unassign(handle_.get(), list.get())) {
      error = rd_kafka_error_code(failed);
      rd_kafka_error_destroy(failed);
    }
    ForgetPartitions(revoked);
  } else {
    error = rd_kafka_assign(handle_.get(), nullptr);
    to_commit_.clear();
    at_end_.clear();
    assigned_ = false;
  }
  if (error == RD_KAFKA_RESP_ERR_NO_ERROR) return Status::Ok();
  return Status::Failed(fmt::format("{}: giving up revoked partitions: {}", remote_, rd_kafka_err2str(error)));
}

// Their uncommitted offsets are dropped: the partitions are no longer ours to commit (the
// messages, in the log, are received again by their next owner). Their positions are kept.
void KafkaSource::ForgetPartitions(const std::vector<int32_t>& partitions) {
  for (int32_t partition : partitions) {
    to_commit_.erase(partition);
    at_end_.erase(partition);
  }
}

void KafkaSource::OnError(rd_kafka_t* handle, int error, const char* reason, void* opaque) {
  auto* source = static_cast<KafkaSource*>(opaque);
  if (error != RD_KAFKA_RESP_ERR__FATAL) {
    source->wait_notes_.Note(reason);
    return;
  }
  char detail[512];
  rd_kafka_fatal_error(handle, detail, sizeof detail);
  if (!source->failure_) source->failure_ = Status::Failed(fmt::format("{}: fatal consumer error: {}", source->remote_, LibrdkafkaError(detail)));
}

bool KafkaSource::CaughtUp() const {
  return assigned_ && !pending_revoke_ && std::all_of(at_end_.begin(), at_end_.end(), [](const auto& entry) { return entry.second; });
}

Status KafkaSource::Take(const rd_kafka_message_t& message, LocalAppender& appender) {
  if (message.err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
    at_end_[message.partition] = true;
    return Status::Ok();
  }
  if (message.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    // A consumer error carried as a message: the topic is missing, not authorised, its
    // offsets are out of range... librdkafka retries what is transient by itself.
    return Status::Failed(fmt::format("{}: {}", remote_, LibrdkafkaError(rd_kafka_message_errstr(&message))));
  }
  at_end_[message.partition] = false;
  if (auto held = position_.find(message.partition); held != position_.end() && message.offset < held->second) {
    // Already in the log from this run (see kafka_source.h): skipped, and the run's position
    // committed again, as the commit that covered it was refused.
    to_commit_[message.partition] = held->second;
    return Status::Ok();
  }
  std::optional<std::string_view> key;
  if (message.key != nullptr) key.emplace(static_cast<const char*>(message.key), message.key_len);
  std::vector<eventlog::HeaderView> headers;
  rd_kafka_headers_t* kafka_headers = nullptr;
  // Headers are only parsed on request; the message keeps ownership of them.
  if (rd_kafka_message_headers(&message, &kafka_headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* name = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    for (size_t i = 0; rd_kafka_header_get_all(kafka_headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
         ++i) {
      // A null header value (possible in Kafka, not in a log) arrives as an empty one.
      headers.push_back({name, value != nullptr ? std::string_view(static_cast<const char*>(value), size) : ""});
    }
  }
  const std::string_view payload =
      message.payload != nullptr ? std::string_view(static_cast<const char*>(message.payload), message.len) : "";
  const size_t own = headers.size() - TrailingBridgeHeaders(headers);
  EVLOG_RETURN_IF_ERROR(appender.Add(key, std::span(headers).first(own), std::span(headers).subspan(own), payload,
                                     {.partition = message.partition, .position = static_cast<uint64_t>(message.offset)}));
  to_commit_[message.partition] = message.offset + 1;
  position_[message.partition] = message.offset + 1;
  return Status::Ok();
}

Result<bool> KafkaSource::Fetch(std::chrono::milliseconds timeout, LocalAppender& appender) {
  // The pump has appended and committed what was fetched before the revoke.
  if (pending_revoke_) EVLOG_RETURN_IF_ERROR(CompleteRevoke());
  int wait_ms = static_cast<int>(timeout.count());
  for (;;) {
    if (failure_) return *failure_;
    if (appender.full()) return false;
    rd_kafka_message_t* message = rd_kafka_consumer_poll(handle_.get(), wait_ms);
    if (message == nullptr) return failure_ ? Result<bool>(*failure_) : Result<bool>(CaughtUp());
    Status taken = Take(*message, appender);
    rd_kafka_message_destroy(message);
    EVLOG_RETURN_IF_ERROR(taken);
    // A revoke served by that poll: let the pump append and commit before anything else.
    if (pending_revoke_) return false;
    if (CaughtUp()) return true;
    // Take what is already fetched without waiting, then let the pump append it.
    wait_ms = 0;
  }
}

Status KafkaSource::CommitFetched() {
  if (to_commit_.empty()) return Status::Ok();
  for (;;) {
    const rd_kafka_resp_err_t error = Commit(handle_.get(), topic_, to_commit_);
    if (error == RD_KAFKA_RESP_ERR_NO_ERROR) break;
    const std::string message =
        fmt::format("committing group {}'s offsets to {}: {}", group_, remote_, rd_kafka_err2str(error));
    if (GroupMovedOn(error)) {
      // Not an error: the messages are durable; their partitions' next owner receives them
      // again from the last offset committed (at least once). If that is this bridge, it
      // skips them (see kafka_source.h).
      PrintNote("bridge", fmt::format("{}; the group is rebalancing, so the messages of this round, already in the "
                                      "log, are received again by their partitions' next owner",
                                      message));
      break;
    }
    if (!RetriableCommitError(error)) return Status::Failed(message);
    if (signals_.termination()) return Status::Busy(message);
    wait_notes_.Note(message);
    signals_.Sleep(kCommitRetryWait);
  }
  to_commit_.clear();
  return Status::Ok();
}

}  // namespace evlog
