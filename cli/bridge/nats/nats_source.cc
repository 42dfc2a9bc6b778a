// The consumer. `--from nats://…/STREAM -g DURABLE` reads STREAM through the durable pull
// consumer DURABLE, created when missing with AckPolicy all, DeliverPolicy all. Messages come
// in stream order; the pump appends each round durably, then CommitFetched acknowledges the
// last message added, which with AckPolicy all acknowledges every one before it. That is
// right only if every message the consumer delivered before it was added. Two things break
// that, and both are repaired the same way:
//   - a run that died before acknowledging: its messages are redelivered only after
//     AckWait, while newer ones are delivered at once to the next run. So when a run starts
//     and finds messages delivered and not acknowledged (NumAckPending > 0), it recreates the
//     consumer to deliver from the first unacknowledged sequence (the ack floor + 1), in order.
//   - a connection lost with messages in flight: the server counts them delivered, the next
//     fetch (after libnats reconnects) brings newer ones, and their acknowledgement would
//     cover the lost ones. Each delivery of a consumer has a consumer sequence one above the
//     one before (redeliveries included), so a gap in it names a delivery this run never
//     received. Nothing from the gap on is added; the round before it is committed (every
//     message before the gap was added, so acknowledging its last is right); then the
//     subscription is dropped, so that nothing the old consumer still sends can mix in, and
//     the consumer recreated from its ack floor as at start-up.
// The same holds at the stream's end: when a fetch brings nothing, everything received was
// added and acknowledged (synchronously, by CommitFetched), so messages still delivered and
// not acknowledged were lost on their way; the bridge restarts from the ack floor rather
// than say it is caught up. A message already added and received again (a redelivery, or
// one delivered anew after a restart) is skipped by its stream sequence.
// A durable is used by one bridge at a time.
#include "bridge/nats/nats_source.h"

#include <cstdlib>

#include <fmt/format.h>

#include "bridge/local_appender.h"
#include "bridge/nats/nats_bridge.h"
#include "term/report.h"

namespace evlog {

using eventlog::Result;
using eventlog::Status;

namespace {

constexpr char kCommand[] = "bridge";
constexpr int kFetchBatch = 1024;
// Room for a whole round of the appender (50,000 messages) delivered and not yet acknowledged.
constexpr int64_t kMaxAckPending = 100'000;
constexpr auto kNoteInterval = std::chrono::seconds(10);

struct ConsumerInfoDeleter {
  void operator()(jsConsumerInfo* info) const { jsConsumerInfo_Destroy(info); }
};
using ConsumerInfoPtr = std::unique_ptr<jsConsumerInfo, ConsumerInfoDeleter>;

void InitConsumerConfig(jsConsumerConfig* config, const char* durable) {
  jsConsumerConfig_Init(config);
  config->Durable = durable;
  config->AckPolicy = js_AckAll;
  config->DeliverPolicy = js_DeliverAll;
  config->MaxAckPending = kMaxAckPending;
}

}  // namespace

NatsSource::NatsSource(std::unique_ptr<NatsConnection> connection, const Endpoint& endpoint, std::string durable,
                       const SignalPipe& signals)
    : connection_(std::move(connection)),
      remote_(endpoint.text),
      stream_(endpoint.name),
      durable_(std::move(durable)),
      signals_(signals) {}

NatsSource::~NatsSource() {
  fetched_.clear();
  spent_.clear();
  last_added_.reset();
  subscription_.reset();
  connection_.reset();
}

void NatsSource::Note(std::string message) {
  const auto now = std::chrono::steady_clock::now();
  if (noted_ && now - last_note_ < kNoteInterval) return;
  PrintNote(kCommand, message);
  last_note_ = now;
  noted_ = true;
}

Status NatsSource::Restart(const jsConsumerInfo& info) {
  const uint64_t from = info.AckFloor.Stream + 1;
  const char* to_whom = subscribed_before_ ? "to this run, some lost with a connection," : "to an earlier run";
  PrintNote(kCommand, fmt::format("{}: consumer {} has {} messages delivered {} and not acknowledged; it is "
                                  "recreated to deliver again from stream sequence {}, in order",
                                  remote_, durable_, info.NumAckPending, to_whom, from));
  jsErrCode code{};
  natsStatus status = js_DeleteConsumer(js_, stream_.c_str(), durable_.c_str(), nullptr, &code);
  if (status != NATS_OK) return NatsError(fmt::format("{}: deleting consumer {}", remote_, durable_), status);
  jsConsumerConfig config;
  InitConsumerConfig(&config, durable_.c_str());
  config.DeliverPolicy = js_DeliverByStartSequence;
  config.OptStartSeq = from;
  jsConsumerInfo* created = nullptr;
  status = js_AddConsumer(&created, js_, stream_.c_str(), &config, nullptr, &code);
  ConsumerInfoPtr owned(created);
  if (status != NATS_OK) return NatsError(fmt::format("{}: recreating consumer {}", remote_, durable_), status);
  last_delivery_ = 0;  // a new consumer numbers its deliveries from 1
  return Status::Ok();
}

Status NatsSource::Subscribe() {
  EVLOG_ASSIGN_OR_RETURN(js_, connection_->JetStream());
  jsErrCode code{};
  jsConsumerInfo* raw = nullptr;
  natsStatus status = js_GetConsumerInfo(&raw, js_, stream_.c_str(), durable_.c_str(), nullptr, &code);
  ConsumerInfoPtr info(raw);
  if (status != NATS_OK && code == JSStreamNotFoundErr) {
    return Status::NotFound(fmt::format("{}: no JetStream stream named {} (the path of a --from URL names a stream, "
                                        "not a subject)", remote_, stream_));
  }
  if (status == NATS_NOT_FOUND || code == JSConsumerNotFoundErr) {
    jsConsumerConfig config;
    InitConsumerConfig(&config, durable_.c_str());
    if (last_added_sequence_ > 0) {
      // Gone during this run (a restart that deleted it and could not recreate it, or an
      // operator): everything up to the last message added is appended and acknowledged.
      config.DeliverPolicy = js_DeliverByStartSequence;
      config.OptStartSeq = last_added_sequence_ + 1;
    }
    status = js_AddConsumer(&raw, js_, stream_.c_str(), &config, nullptr, &code);
    info.reset(raw);
    if (status != NATS_OK) return NatsError(fmt::format("{}: creating consumer {}", remote_, durable_), status);
    last_delivery_ = info->Delivered.Consumer;
  } else if (status != NATS_OK) {
    return NatsError(fmt::format("{}: consumer {}", remote_, durable_), status);
  } else if (info->Config->AckPolicy != js_AckAll) {
    return Status::InvalidArgument(fmt::format(
        "{}: consumer {} exists with an acknowledgement policy other than \"all\"; the bridge acknowledges the last "
        "message of each durable append: give -g a new name, or delete the consumer", remote_, durable_));
  } else if (info->NumAckPending > 0) {
    EVLOG_RETURN_IF_ERROR(Restart(*info));
  } else {
    // Nothing is in flight: the next delivery is the one after the last.
    last_delivery_ = info->Delivered.Consumer;
  }
  jsSubOptions options;
  jsSubOptions_Init(&options);
  options.Stream = stream_.c_str();
  options.Consumer = durable_.c_str();
  natsSubscription* subscription = nullptr;
  status = js_PullSubscribe(&subscription, js_, nullptr, durable_.c_str(), nullptr, &options, &code);
  if (status != NATS_OK) return NatsError(fmt::format("{}: subscribing to consumer {}", remote_, durable_), status);
  subscription_.reset(subscription);
  subscribed_before_ = true;
  return Status::Ok();
}

Status NatsSource::Add(NatsPtr<natsMsg>& msg, LocalAppender& appender) {
  jsMsgMetaData* meta = nullptr;
  natsStatus status = natsMsg_GetMetaData(&meta, msg.get());
  if (status != NATS_OK) return NatsError(fmt::format("{}: a message without JetStream metadata", remote_), status);
  const uint64_t sequence = meta->Sequence.Stream;
  const uint64_t delivery = meta->Sequence.Consumer;
  const uint64_t pending = meta->NumPending;
  jsMsgMetaData_Destroy(meta);
  if (delivery != last_delivery_ + 1) {
    Note(fmt::format("{}: consumer {} delivered stream sequence {} as delivery {}, but delivery {} never came "
                     "(the connection dropped with it in flight)", remote_, durable_, sequence, delivery,
                     last_delivery_ + 1));
    restart_ = true;
    return Status::Ok();
  }
  last_delivery_ = delivery;
  pending_after_last_ = pending;
  if (sequence <= last_added_sequence_) return Status::Ok();  // redelivered: added already

  const char** keys = nullptr;
  int count = 0;
  status = natsMsgHeader_Keys(msg.get(), &keys, &count);
  groups_.resize(status == NATS_OK ? count : 0);
  for (size_t i = 0; i < groups_.size(); ++i) {
    const char** values = nullptr;
    int n = 0;
    groups_[i].name = keys[i];
    groups_[i].values.clear();
    if (natsMsgHeader_Values(msg.get(), keys[i], &values, &n) == NATS_OK) {
      groups_[i].values.assign(values, values + n);
      std::free(values);
    }
  }
  Status decoded = DecodeNatsEvent(groups_, &decoded_);
  std::free(keys);
  const MessageOrigin origin{.partition = -1, .position = sequence};
  if (!decoded.ok()) return decoded.WithContext(fmt::format("{}: the message at {}", remote_, DescribeOrigin(origin)));
  views_.clear();
  for (const auto& [name, value] : decoded_.headers) views_.push_back({name, value});
  const size_t own = views_.size();
  for (const auto& [name, value] : decoded_.bridge_headers) views_.push_back({name, value});
  const std::string_view payload(natsMsg_GetData(msg.get()), natsMsg_GetDataLength(msg.get()));
  EVLOG_RETURN_IF_ERROR(
      appender.Add(decoded_.key, std::span(views_).first(own), std::span(views_).subspan(own), payload, origin));
  if (last_added_) spent_.push_back(std::move(last_added_));
  last_added_ = std::move(msg);
  last_added_sequence_ = sequence;
  return Status::Ok();
}

Status NatsSource::FetchBatch(int64_t wait_ms, bool* got) {
  natsMsgList list{};
  jsErrCode code{};
  const natsStatus status = natsSubscription_Fetch(&list, subscription_.get(), kFetchBatch, wait_ms, &code);
  *got = list.Count > 0;
  for (int i = 0; i < list.Count; ++i) {
    fetched_.emplace_back(list.Msgs[i]);
    list.Msgs[i] = nullptr;
  }
  natsMsgList_Destroy(&list);
  if (status == NATS_OK || status == NATS_TIMEOUT || *got) return Status::Ok();
  return NatsError(fmt::format("{}: fetching from consumer {}", remote_, durable_), status);
}

// Whether the consumer has nothing left to deliver (asked when a fetch brought nothing).
Result<bool> NatsSource::NothingPending() {
  jsErrCode code{};
  jsConsumerInfo* raw = nullptr;
  const natsStatus status = js_GetConsumerInfo(&raw, js_, stream_.c_str(), durable_.c_str(), nullptr, &code);
  ConsumerInfoPtr info(raw);
  if (status != NATS_OK) return NatsError(fmt::format("{}: consumer {}", remote_, durable_), status);
  // Nothing received is unacknowledged here (see the top of this file): these were lost.
  if (info->NumAckPending > 0) {
    restart_ = true;
    return false;
  }
  return info->NumPending == 0;
}

Result<bool> NatsSource::Fetch(std::chrono::milliseconds timeout, LocalAppender& appender) {
  if (restart_) {
    // A delivery was lost, and what was added before it is committed: drop what the old
    // subscription holds (before it: those messages may refer to it), then subscribe anew,
    // which recreates the consumer from its ack floor.
    fetched_.clear();
    subscription_.reset();
    restart_ = false;
  }
  if (!subscription_) {
    if (!connection_->connected()) EVLOG_RETURN_IF_ERROR(connection_->CredentialsRefused(remote_));
    Status subscribed = connection_->connected() ? Subscribe() : Status::Failed("no connection to the server yet");
    if (subscribed.code() == eventlog::StatusCode::kNotFound ||
        subscribed.code() == eventlog::StatusCode::kInvalidArgument)
      return subscribed;
    if (!subscribed.ok()) {
      Note(fmt::format("{}; retrying", subscribed.message()));
      signals_.Sleep(timeout);
      return false;
    }
  }
  for (;;) {
    while (!fetched_.empty() && !appender.full()) {
      NatsPtr<natsMsg> msg = std::move(fetched_.front());
      fetched_.pop_front();
      Status added = Add(msg, appender);
      if (msg) spent_.push_back(std::move(msg));
      EVLOG_RETURN_IF_ERROR(added);
      if (restart_) return false;  // the pump commits what was added, the next Fetch restarts
    }
    if (spent_.size() >= static_cast<size_t>(kFetchBatch)) spent_.clear();
    if (appender.full()) return false;
    // Nothing was left behind the last message when it was delivered: this round is complete.
    if (pending_after_last_ == 0 && !appender.empty()) return true;
    bool got = false;
    // A batch returns as soon as it is complete: the wait only matters at the stream's end.
    Status fetched = FetchBatch(std::max<int64_t>(1, timeout.count()), &got);
    if (!fetched.ok()) {  // an outage: wait for libnats to reconnect
      Note(fmt::format("{}; retrying", fetched.message()));
      signals_.Sleep(timeout);
      return false;
    }
    if (got) continue;
    if (!appender.empty()) return false;
    Result<bool> nothing = NothingPending();
    if (!nothing) {
      Note(fmt::format("{}; retrying", nothing.error().message()));
      signals_.Sleep(timeout);
      return false;
    }
    return *nothing;
  }
}

Status NatsSource::CommitFetched() {
  if (!last_added_) return Status::Ok();
  for (int attempt = 0;; ++attempt) {
    jsErrCode code{};
    const natsStatus status = natsMsg_AckSync(last_added_.get(), nullptr, &code);
    if (status == NATS_OK) break;
    // An outage: the events are durable, so the acknowledgement is worth waiting for; if
    // the bridge stops first, they are received again by the next run.
    Note(fmt::format("{}: acknowledging stream sequence {}: {}; retrying", remote_, last_added_sequence_,
                     natsStatus_GetText(status)));
    if (signals_.Sleep(std::chrono::milliseconds(std::min(2000, 100 << std::min(attempt, 4))))) {
      return NatsError(fmt::format("{}: stream sequence {} not acknowledged (the next run receives it again)",
                                   remote_, last_added_sequence_), status);
    }
  }
  last_added_.reset();
  return Status::Ok();
}

Result<std::unique_ptr<RemoteSource>> OpenNatsSource(const Endpoint& endpoint, const NatsOptions& options,
                                                     const std::string& group, bool, const SignalPipe& signals) {
  EVLOG_ASSIGN_OR_RETURN(std::unique_ptr<NatsConnection> connection, NatsConnection::Open(endpoint, options));
  return std::unique_ptr<RemoteSource>(std::make_unique<NatsSource>(std::move(connection), endpoint, group, signals));
}

}  // namespace evlog
