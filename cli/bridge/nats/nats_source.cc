// The consumer. `--from nats://…/STREAM -g DURABLE` reads STREAM through the durable pull
// consumer DURABLE, created when missing with AckPolicy all, DeliverPolicy all; an existing
// one must be a consumer the bridge could have made (RefuseUnfitConsumer). Messages come
// in stream order; the pump appends each round durably, then CommitFetched acknowledges the
// last message added, which with AckPolicy all acknowledges every one before it. That is
// right only if every message the consumer delivered before it was added. Two things break
// that, and both are repaired the same way:
//   - a run that died before acknowledging: its messages are redelivered only after
//     AckWait, while newer ones are delivered at once to the next run. So when a run starts
//     and finds messages delivered and not acknowledged (NumAckPending > 0), it recreates the
//     consumer to deliver from the first unacknowledged sequence (the ack floor + 1, but not
//     below the consumer's start sequence: FirstUnacknowledged), in order.
//   - a connection lost with messages in flight: the server counts them delivered, the next
//     fetch (after libnats reconnects) brings newer ones, and their acknowledgement would
//     cover the lost ones. Each delivery of a consumer has a consumer sequence one above the
//     one before (redeliveries included), so a gap in it names a delivery this run never
//     received. Nothing from the gap on is added; the round before it is committed (every
//     message before the gap was added, so acknowledging its last is right); then the
//     subscription is dropped, so that nothing the old consumer still sends can mix in, and
//     the consumer recreated from its ack floor as at start-up.
// Recreating the consumer is two requests, a delete and an add. A run that died between
// them would leave no consumer, and the next would create one delivering the whole stream
// again. So the start goes to the server first, as a restart marker: a second durable
// consumer, DURABLE_evlog_restart, that nothing reads, delivering from that start, and whose
// description says it is the marker of DURABLE (a consumer of that name without it is
// someone else's and is left alone). A run that finds no consumer but a marker creates the
// consumer from the marker's start; a run that has its consumer removes a marker left over.
// The marker also keeps the messages of an interest-retention stream while the consumer is
// gone: deleting a stream's last consumer lets the server drop them, the unacknowledged
// ones included. So without a marker (the server refused it: a consumer limit, permissions)
// the consumer of such a stream is not recreated; the bridge stops with an error instead.
// Where the consumer limit leaves no room for the consumer beside its marker when a run
// resumes from it, the marker goes first, on such a stream neither (ResumeFromMarker).
// The same holds at the stream's end: when a fetch brings nothing, everything received was
// added and acknowledged (synchronously, by CommitFetched), so messages still delivered and
// not acknowledged were lost on their way; the bridge restarts from the ack floor rather
// than say it is caught up. A message already added and received again (a redelivery, or
// one delivered anew after a restart) is skipped by its stream sequence.
// A durable is used by one bridge at a time.
//
// While a batch is added, the next one is fetched on another thread, but only when the last
// message of the batch says more are pending: a fetch is in flight only while the server
// has messages for it, so it never outlives the stream's end, and when a fetch brings
// nothing no other is in flight (which NothingPending relies on). Batches are taken in the
// order fetched, so the deliveries keep their order.
#include "bridge/nats/nats_source.h"

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <system_error>

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
// The restart marker's name is the consumer's with this after it.
constexpr char kRestartMarkerSuffix[] = "_evlog_restart";
// How long a request about the marker waits: a server that does not answer it (a user not
// allowed that consumer gets no reply at all) costs a run this much, once.
constexpr int64_t kMarkerWaitMs = 2000;

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

// The first stream sequence the consumer has not had acknowledged, where Restart starts it
// again. The ack floor alone is not that: nats-server reports an ack floor of 0 for a
// consumer that has acknowledged nothing yet, also one created to deliver from sequence S
// (by an earlier Restart), so a run that died before its first acknowledgement after a
// restart sent the next one back to sequence 1, and it appended the whole stream again.
// Such a consumer delivers nothing below S, and whoever created it had everything below S
// acknowledged (or, a user, wants it skipped), so it starts no lower than S. A stream that
// no longer holds that sequence (purged, or limits dropped it) delivers from its first.
uint64_t FirstUnacknowledged(const jsConsumerInfo& info) {
  const uint64_t above_floor = info.AckFloor.Stream + 1;
  const jsConsumerConfig* config = info.Config;
  if (config == nullptr || config->DeliverPolicy != js_DeliverByStartSequence) return above_floor;
  return std::max(above_floor, config->OptStartSeq);
}

// Whether a failed libnats call was refused by libnats itself rather than by the server or
// the connection: NATS_ERR or NATS_INVALID_ARG without a JetStream error code (the server's
// errors carry one), for a name or a consumer configuration that no wait makes acceptable.
bool RefusedByLibrary(natsStatus status, jsErrCode code) {
  return (status == NATS_ERR || status == NATS_INVALID_ARG) && code == 0;
}

// The options of a request about the marker: a shorter wait (kMarkerWaitMs).
jsOptions MarkerRequestOptions() {
  jsOptions options;
  jsOptions_Init(&options);
  options.Wait = kMarkerWaitMs;
  return options;
}

}  // namespace

NatsSource::NatsSource(std::unique_ptr<NatsConnection> connection, const Endpoint& endpoint, std::string durable,
                       const SignalPipe& signals)
    : connection_(std::move(connection)),
      remote_(endpoint.text),
      stream_(endpoint.name),
      durable_(std::move(durable)),
      marker_(durable_ + kRestartMarkerSuffix),
      marker_description_(fmt::format("evlog bridge: restart marker of consumer {}", durable_)),
      fetch_what_(fmt::format("{}: fetching from consumer {}", remote_, durable_)),
      signals_(signals) {}

NatsSource::~NatsSource() {
  DropPrefetch();
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

Result<bool> NatsSource::DeleteConsumer(const std::string& name) {
  jsErrCode code{};
  const natsStatus status = js_DeleteConsumer(js_, stream_.c_str(), name.c_str(), nullptr, &code);
  if (status == NATS_OK) return true;
  if (status == NATS_NOT_FOUND || code == JSConsumerNotFoundErr) return false;
  return NatsError(fmt::format("{}: deleting consumer {}", remote_, name), status);
}

Status NatsSource::AddConsumer(const std::string& name, uint64_t from, uint64_t* delivered,
                               const char* description, jsErrCode* refused) {
  jsConsumerConfig config;
  InitConsumerConfig(&config, name.c_str());
  config.Description = description;
  if (from > 0) {
    config.DeliverPolicy = js_DeliverByStartSequence;
    config.OptStartSeq = from;
  }
  jsErrCode code{};
  jsConsumerInfo* created = nullptr;
  const natsStatus status = js_AddConsumer(&created, js_, stream_.c_str(), &config, nullptr, &code);
  ConsumerInfoPtr owned(created);
  if (refused != nullptr) *refused = code;
  if (code == JSMaximumConsumersLimitErr) {
    // Not a reason to wait: the server answered, and only its operator can make room.
    return Status::InvalidArgument(fmt::format("{}: creating consumer {}: stream {} has as many consumers as its "
                                               "limit allows; remove one or raise the limit, then run again",
                                               remote_, name, stream_));
  }
  if (status != NATS_OK) return NatsError(fmt::format("{}: creating consumer {}", remote_, name), status);
  if (delivered != nullptr) *delivered = created->Delivered.Consumer;
  return Status::Ok();
}

NatsSource::Marker NatsSource::FindMarker() {
  jsOptions options = MarkerRequestOptions();
  jsErrCode code{};
  jsConsumerInfo* raw = nullptr;
  const natsStatus status = js_GetConsumerInfo(&raw, js_, stream_.c_str(), marker_.c_str(), &options, &code);
  ConsumerInfoPtr info(raw);
  if (status == NATS_NOT_FOUND || code == JSConsumerNotFoundErr) return {.state = Marker::kNone};
  if (status != NATS_OK) return {.state = Marker::kUnknown};
  const char* description = info->Config ? info->Config->Description : nullptr;
  if (description == nullptr || marker_description_ != description) return {.state = Marker::kSomeoneElses};
  return {.state = Marker::kOurs, .start = info->Config->OptStartSeq};
}

bool NatsSource::DeleteMarker() {
  jsOptions options = MarkerRequestOptions();
  jsErrCode code{};
  return js_DeleteConsumer(js_, stream_.c_str(), marker_.c_str(), &options, &code) == NATS_OK;
}

bool NatsSource::PlaceMarker(uint64_t from) {
  const Marker marker = FindMarker();
  if (marker.state == Marker::kUnknown || marker.state == Marker::kSomeoneElses) return false;
  if (marker.state == Marker::kOurs && !DeleteMarker()) return false;  // an older run's start
  return AddConsumer(marker_, from, nullptr, marker_description_.c_str()).ok();
}

Result<bool> NatsSource::KeptByInterest() {
  jsErrCode code{};
  jsStreamInfo* raw = nullptr;
  const natsStatus status = js_GetStreamInfo(&raw, js_, stream_.c_str(), nullptr, &code);
  if (status != NATS_OK) return NatsError(fmt::format("{}: stream {}", remote_, stream_), status);
  const bool interest = raw->Config != nullptr && raw->Config->Retention == js_InterestPolicy;
  jsStreamInfo_Destroy(raw);
  return interest;
}

Status NatsSource::Restart(const jsConsumerInfo& info) {
  const uint64_t from = FirstUnacknowledged(info);
  const char* to_whom = subscribed_before_ ? "to this run, some lost with a connection," : "to an earlier run";
  PrintNote(kCommand, fmt::format("{}: consumer {} has {} messages delivered {} and not acknowledged; it is "
                                  "recreated to deliver again from stream sequence {}, in order",
                                  remote_, durable_, info.NumAckPending, to_whom, from));
  // Where to start goes to the server before the consumer is deleted (the top of this file).
  const bool marked = PlaceMarker(from);
  if (!marked) {
    EVLOG_ASSIGN_OR_RETURN(bool interest, KeptByInterest());
    if (interest) {
      return Status::InvalidArgument(fmt::format(
          "{}: consumer {} must be recreated to deliver again from stream sequence {}, but stream {} keeps messages "
          "only while a consumer wants them, and the restart marker {} that would keep them meanwhile could not be "
          "created (a consumer limit, permissions, or a consumer of that name that is not the bridge's); allow it, "
          "or the messages from {} on would be dropped",
          remote_, durable_, from, stream_, marker_, from));
    }
    // Without a marker, as before there was one: a crash between the next two requests
    // then costs the whole stream again.
  }
  EVLOG_ASSIGN_OR_RETURN(bool deleted, DeleteConsumer(durable_));
  static_cast<void>(deleted);  // gone already: a crash after the delete, or an operator
  EVLOG_RETURN_IF_ERROR(AddConsumer(durable_, from, nullptr));
  if (marked) static_cast<void>(DeleteMarker());  // if it stays, the next Subscribe removes it
  last_delivery_ = 0;  // a new consumer numbers its deliveries from 1
  return Status::Ok();
}

// A consumer found in place must be one the bridge could have made: Restart recreates it
// with the bridge's configuration, and the bridge copies the whole stream. Any other is
// refused before anything is done to it (Restart would delete it), so that its owner, or
// whoever mistyped -g, keeps it as it was.
Status NatsSource::RefuseUnfitConsumer(const jsConsumerConfig& config) const {
  auto refuse = [&](std::string_view why, std::string_view need) {
    return Status::InvalidArgument(fmt::format("{}: consumer {} {}; {}: give -g a new name, or delete the consumer",
                                               remote_, durable_, why, need));
  };
  if (config.AckPolicy != js_AckAll) {
    return refuse("exists with an acknowledgement policy other than \"all\"",
                  "the bridge acknowledges the last message of each durable append");
  }
  // libnats refuses to pull from it ("cannot pull subscribe to push based consumer"), and
  // each run would retry that for ever.
  if (config.DeliverSubject != nullptr && *config.DeliverSubject != '\0') {
    return refuse(fmt::format("is a push consumer (it delivers to subject {})", config.DeliverSubject),
                  "the bridge reads through a pull consumer");
  }
  if (config.FilterSubject != nullptr && *config.FilterSubject != '\0') {
    return refuse(fmt::format("delivers only the messages of subject {}", config.FilterSubject),
                  "the bridge copies the whole stream");
  }
  // new and last skip what the stream holds; by start time has no sequence to restart at
  // but the ack floor, which is 0 until the first acknowledgement (FirstUnacknowledged).
  if (config.DeliverPolicy != js_DeliverAll && config.DeliverPolicy != js_DeliverByStartSequence) {
    return refuse("has a deliver policy other than \"all\" or \"by_start_sequence\" (new, last, last per subject, "
                  "or by start time)",
                  "the bridge copies the whole stream, from its start or from a stream sequence");
  }
  if (config.HeadersOnly) {
    return refuse("delivers headers only", "the bridge copies every message's payload");
  }
  // The server answers a larger fetch with an error ("Exceeded MaxRequestBatch"), which a
  // fetch takes for an outage and retries for ever.
  if (config.MaxRequestBatch > 0 && config.MaxRequestBatch < kFetchBatch) {
    return refuse(fmt::format("limits a pull request to {} messages", config.MaxRequestBatch),
                  fmt::format("the bridge asks for up to {} at a time", kFetchBatch));
  }
  // The server deletes it once no client has pulled for that long, between two runs say,
  // and the next run, finding no consumer, would copy the whole stream again.
  if (config.InactiveThreshold > 0) {
    return refuse(fmt::format("is deleted by the server after {} s without a client (an inactive threshold)",
                              static_cast<double>(config.InactiveThreshold) / 1e9),
                  "the bridge's position in the stream must outlast the time between runs");
  }
  return Status::Ok();
}

// A run stopped between the consumer's delete and its add; the marker says where it left
// off. The slot the consumer left may have been taken since (another client, under a
// consumer limit), and the marker then holds the last one: it gives it up first, on a
// stream that does not need it to keep the messages. A crash between that delete and the
// add would cost the whole stream again, as before there were markers.
Status NatsSource::ResumeFromMarker(uint64_t from) {
  jsErrCode refused{};
  Status added = AddConsumer(durable_, from, &last_delivery_, nullptr, &refused);
  if (!added.ok() && refused == JSMaximumConsumersLimitErr) {
    EVLOG_ASSIGN_OR_RETURN(bool interest, KeptByInterest());
    if (interest) {
      return Status::InvalidArgument(fmt::format(
          "{}: consumer {} must be created again to deliver from stream sequence {}, where a stopped run left off, "
          "but the consumer limit leaves no room for it beside its restart marker {}, and stream {} keeps messages "
          "only while a consumer wants them, so the marker cannot go first; raise the stream's consumer limit or "
          "remove another consumer, then run again",
          remote_, durable_, from, marker_, stream_));
    }
    if (!DeleteMarker()) return added;
    PrintNote(kCommand, fmt::format("{}: the consumer limit left no room for consumer {} beside its restart marker {}; "
                                    "the marker was removed first",
                                    remote_, durable_, marker_));
    added = AddConsumer(durable_, from, &last_delivery_);
  }
  EVLOG_RETURN_IF_ERROR(added);
  PrintNote(kCommand, fmt::format("{}: consumer {} was being recreated when a run stopped; it is created to "
                                  "deliver from stream sequence {}, where that run left off",
                                  remote_, durable_, from));
  static_cast<void>(DeleteMarker());  // gone already if it had to make room
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
    // A restart marker: a run died between deleting the consumer and adding it again.
    const Marker marker = FindMarker();
    const bool marked = marker.state == Marker::kOurs;
    uint64_t from = 0;  // the whole stream: a new consumer
    if (marked) {
      from = marker.start;
    } else if (last_added_sequence_ > 0) {
      // Gone during this run (a restart that deleted it and could not recreate it, or an
      // operator): everything up to the last message added is appended and acknowledged.
      from = last_added_sequence_ + 1;
    }
    if (marked) {
      EVLOG_RETURN_IF_ERROR(ResumeFromMarker(from));
    } else {
      EVLOG_RETURN_IF_ERROR(AddConsumer(durable_, from, &last_delivery_));
    }
  } else if (status != NATS_OK) {
    Status failed = NatsError(fmt::format("{}: consumer {}", remote_, durable_), status);
    // A name libnats refuses ("cannot contain '.'") is refused again on every retry.
    if (RefusedByLibrary(status, code)) return Status::InvalidArgument(failed.message() + "; give -g another name");
    return failed;
  } else if (Status unfit = RefuseUnfitConsumer(*info->Config); !unfit.ok()) {
    return unfit;
  } else if (info->NumAckPending > 0) {
    EVLOG_RETURN_IF_ERROR(Restart(*info));
  } else {
    // Nothing is in flight: the next delivery is the one after the last.
    last_delivery_ = info->Delivered.Consumer;
    // A marker left by a run that stopped after adding the consumer again: it would hold
    // messages in a stream kept for its consumers' interest.
    if (FindMarker().state == Marker::kOurs) static_cast<void>(DeleteMarker());
  }
  jsSubOptions options;
  jsSubOptions_Init(&options);
  options.Stream = stream_.c_str();
  options.Consumer = durable_.c_str();
  natsSubscription* subscription = nullptr;
  code = {};  // not every failure of libnats sets it
  status = js_PullSubscribe(&subscription, js_, nullptr, durable_.c_str(), nullptr, &options, &code);
  if (status != NATS_OK) {
    Status failed = NatsError(fmt::format("{}: subscribing to consumer {}", remote_, durable_), status);
    // libnats compares the consumer's configuration with a pull subscription's and refuses
    // some that RefuseUnfitConsumer lets pass (memory storage, in libnats 3.4), or one
    // changed since: no wait changes that.
    if (RefusedByLibrary(status, code)) {
      return Status::InvalidArgument(fmt::format(
          "{}; libnats will not pull from a consumer configured so: give -g a new name, or delete the consumer",
          failed.message()));
    }
    return failed;
  }
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

NatsSource::Batch NatsSource::FetchFrom(natsSubscription* subscription, int64_t wait_ms, const std::string& what) {
  natsMsgList list{};
  jsErrCode code{};
  Batch batch;
  const natsStatus status = natsSubscription_Fetch(&list, subscription, kFetchBatch, wait_ms, &code);
  if (status != NATS_OK && status != NATS_TIMEOUT) batch.failure = NatsError(what, status);
  batch.msgs.reserve(list.Count);
  for (int i = 0; i < list.Count; ++i) {
    batch.msgs.emplace_back(list.Msgs[i]);
    list.Msgs[i] = nullptr;
  }
  natsMsgList_Destroy(&list);
  return batch;
}

Status NatsSource::FetchBatch(int64_t wait_ms, bool* got) {
  Batch batch = prefetched_.valid() ? prefetched_.get() : FetchFrom(subscription_.get(), wait_ms, fetch_what_);
  *got = !batch.msgs.empty();
  if (*got) {
    jsMsgMetaData* meta = nullptr;
    if (natsMsg_GetMetaData(&meta, batch.msgs.back().get()) == NATS_OK) {
      if (meta->NumPending > 0) Prefetch(wait_ms);
      jsMsgMetaData_Destroy(meta);
    }
  }
  for (NatsPtr<natsMsg>& msg : batch.msgs) fetched_.push_back(std::move(msg));
  return *got ? Status::Ok() : batch.failure;
}

void NatsSource::Prefetch(int64_t wait_ms) {
  try {
    prefetched_ = std::async(std::launch::async, FetchFrom, subscription_.get(), wait_ms, std::cref(fetch_what_));
  } catch (const std::system_error&) {
    // No thread to be had: the next batch is fetched when it is needed, as without this.
  }
}

void NatsSource::DropPrefetch() {
  if (prefetched_.valid()) static_cast<void>(prefetched_.get());
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
    DropPrefetch();
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
    // Stopped by a signal: kBusy, which the bridge reports as the signal's stop (128 + N)
    // with this as a note, as Kafka's commit does.
    if (signals_.Sleep(std::chrono::milliseconds(std::min(2000, 100 << std::min(attempt, 4))))) {
      return Status::Busy(fmt::format("{}: stream sequence {} not acknowledged (the next run receives it again): {}",
                                      remote_, last_added_sequence_, natsStatus_GetText(status)));
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
