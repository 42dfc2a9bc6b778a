// How the stream keeps the log's order across failures.
//
// Events are published asynchronously, many in flight, each with Nats-Msg-Id =
// LOGID:SUBJECT:OFFSET:FINGERPRINT (nats_message_codec.h), so that JetStream drops a second
// copy of an event within the stream's duplicate window. On one connection a server stores
// what it receives in the order it receives it, so as long as every publish of a connection
// is answered, the stream holds the events in offset order. Order is at risk only when one message is not stored but a
// later one is:
//   - the connection drops: what the old socket still held is lost, and libnats would send
//     what was published during its reconnection on the new connection, before anything
//     could be resent (NatsReconnect in nats_connection.h). So libnats does not reconnect
//     for the sink: a lost connection closes, every publish fails at once, and the sink
//     opens a new connection itself once all it had published is back in its hands.
//   - an acknowledgement fails or times out (no responders, JetStream busy, the ack lost).
// On either, the sink stops publishing (kSettle) and takes back every message libnats still
// holds (js_PublishAsyncGetPendingList: late acknowledgements of those are then dropped) and
// every one that came back with an error; once the server answers and the stream exists, it
// publishes them again from the first unconfirmed offset in order (kResend), and only then
// new events. A resent message the stream already stored is a duplicate: JetStream
// acknowledges it without storing it again, so every event is in the stream once, in order.
//
// Limits of the argument, stated in format-spec/bridge.md §B4: the duplicate window (2
// minutes by default) must outlast the outage, or an event stored just before it whose
// acknowledgement was lost is stored twice (still in order: the copy follows). And a publish
// that fails without being stored (no responders, a JetStream leader election) while later
// ones in flight are stored is resent after them: the stream then holds it out of order.
// Only Nats-Expected-Last-Msg-Id would prevent that, and it holds only for a stream with one
// publisher, which the bridge cannot assume. The acknowledgements tell it afterwards (each
// names the stream sequence: publish_order.h), and the bridge warns naming the offsets.
// A disconnect is noticed by libnats's callback and by the failing publishes; the connection
// stays closed until the sink reopens it, so no publish can slip onto the next one.
#include "bridge/nats/nats_sink.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "bridge/bridge_headers.h"
#include "bridge/nats/nats_bridge.h"
#include "bridge/nats/nats_message_codec.h"
#include "term/report.h"

namespace evlog {

using eventlog::Result;
using eventlog::Status;

namespace {

constexpr char kCommand[] = "bridge";
// Published and not yet acknowledged: enough to keep the server busy, bounded in memory.
constexpr uint64_t kMaxInLibrary = 16384;
// An acknowledgement slower than this counts as lost: the message is resent (deduplicated).
constexpr int64_t kAckWaitMs = 10000;
constexpr int64_t kLookupWaitMs = 2000;
constexpr auto kNoteInterval = std::chrono::seconds(10);
// The names of nats_message_codec.h and bridge_headers.h as C strings, for libnats.
const char* const kMsgIdName = "Nats-Msg-Id";
const char* const kLogIdName = "evlog.log_id";
const char* const kOffsetName = "evlog.offset";
const char* const kTimestampName = "evlog.timestamp";
static_assert(std::string_view("Nats-Msg-Id") == kNatsMsgIdHeader && std::string_view("evlog.log_id") == kLogIdHeader &&
              std::string_view("evlog.offset") == kOffsetHeader &&
              std::string_view("evlog.timestamp") == kTimestampHeader);

std::optional<uint64_t> OffsetOf(natsMsg* msg) {
  const char* value = nullptr;
  if (natsMsgHeader_Get(msg, kOffsetName, &value) != NATS_OK || !value) return std::nullopt;
  uint64_t offset = 0;
  const std::string_view text(value);
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), offset);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return offset;
}

}  // namespace

NatsSink::NatsSink(std::unique_ptr<NatsConnection> connection, const Endpoint& endpoint, std::string log_id,
                   const SignalPipe& signals)
    : connection_(std::move(connection)),
      remote_(endpoint.text),
      subject_(endpoint.name),
      log_id_(std::move(log_id)),
      msg_id_prefix_(log_id_ + ":" + subject_ + ":"),
      signals_(signals) {}

NatsSink::~NatsSink() {
  if (published_) {
    natsMsgList pending{};
    if (js_PublishAsyncGetPendingList(&pending, js_) == NATS_OK) {
      in_library_ -= pending.Count;
      natsMsgList_Destroy(&pending);
    }
    // What is not taken back was handed to OnAck, which may be running on libnats's
    // thread right now: it must be done with this object before it goes.
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, std::chrono::seconds(1), [&] { return in_library_ == 0; });
  }
  connection_.reset();  // no callback runs after this
}

Status NatsSink::Start() {
  jsOptions options;
  jsOptions_Init(&options);
  options.PublishAsync.AckHandler = OnAck;
  options.PublishAsync.AckHandlerClosure = this;
  EVLOG_ASSIGN_OR_RETURN(js_, connection_->JetStream(&options));
  return Status::Ok();
}

// On libnats's thread, once per published message that is not taken back.
void NatsSink::OnAck(jsCtx*, natsMsg* msg, jsPubAck* ack, jsPubAckErr* error, void* closure) {
  auto* sink = static_cast<NatsSink*>(closure);
  NatsPtr<natsMsg> owned(msg);
  const std::optional<uint64_t> offset = OffsetOf(msg);
  std::lock_guard lock(sink->mutex_);
  --sink->in_library_;
  if (ack && offset) {
    sink->confirmed_.push_back(*offset);  // Duplicate too: the stream had it already
    sink->order_.Confirmed(*offset, ack->Sequence);
  } else if (offset) {
    const std::string text = error && error->ErrText ? error->ErrText : natsStatus_GetText(error ? error->Err : NATS_ERR);
    // A JetStream API error is the server's judgement of this message (too large, not
    // allowed, stream full); anything else (timeout, no responders) is worth a retry.
    if (error && error->ErrCode != 0 && sink->refused_.ok()) {
      sink->refused_ = Status::Failed(fmt::format("event at offset {}: {} refused it: {} (JetStream error {})",
                                                  *offset, sink->remote_, text, static_cast<int>(error->ErrCode)));
    }
    sink->failure_ = text;
    sink->failed_or_refused_ = true;
    sink->failed_[*offset] = std::move(owned);
  }
  sink->changed_.notify_all();
}

// Per event: one natsMsg, and no other allocation unless the event has a key or headers.
Result<NatsPtr<natsMsg>> NatsSink::Build(const eventlog::Event& event) {
  natsMsg* raw = nullptr;
  natsStatus status = natsMsg_Create(&raw, subject_.c_str(), nullptr, event.payload.data(),
                                     static_cast<int>(event.payload.size()));
  if (status != NATS_OK) return NatsError(fmt::format("event at offset {}", event.offset), status);
  NatsPtr<natsMsg> msg(raw);
  wire_.clear();
  if (event.key || !event.headers.empty()) EncodeNatsEvent(event.key, event.headers, &wire_);
  const BridgeHeaderValues bridge(event.offset, event.timestamp_ns);
  // libnats takes C strings: the values are copied next to a NUL.
  // A subject has at most 249 bytes (endpoint.cc): LOGID:SUBJECT:OFFSET:FINGERPRINT fits.
  char msg_id[352], offset[24], timestamp[24];
  *fmt::format_to_n(msg_id, sizeof msg_id - 1, "{}{}:{:016x}", msg_id_prefix_, bridge.offset(),
                    NatsEventFingerprint(event))
       .out = '\0';
  *std::copy(bridge.offset().begin(), bridge.offset().end(), offset) = '\0';
  *std::copy(bridge.timestamp().begin(), bridge.timestamp().end(), timestamp) = '\0';
  status = natsMsgHeader_Set(raw, kMsgIdName, msg_id);
  for (size_t i = 0; i < wire_.size() && status == NATS_OK; ++i)
    status = natsMsgHeader_Add(raw, wire_[i].first.c_str(), wire_[i].second.c_str());
  if (status == NATS_OK) status = natsMsgHeader_Add(raw, kLogIdName, log_id_.c_str());
  if (status == NATS_OK) status = natsMsgHeader_Add(raw, kOffsetName, offset);
  if (status == NATS_OK) status = natsMsgHeader_Add(raw, kTimestampName, timestamp);
  if (status != NATS_OK) return NatsError(fmt::format("event at offset {}: headers", event.offset), status);
  return msg;
}

void NatsSink::Note(std::string message) {
  const auto now = Clock::now();
  if (noted_outage_ && now - last_note_ < kNoteInterval) return;
  PrintNote(kCommand, message);
  last_note_ = now;
  noted_outage_ = true;
}

bool NatsSink::Disrupted() {
  return connection_->disconnects() != disconnects_seen_ || failed_or_refused_.load();
}

void NatsSink::EnterSettle(std::string_view why) {
  phase_ = Phase::kSettle;
  Note(fmt::format("{}: {}; unconfirmed events will be resent in order once the server answers", remote_, why));
}

Status NatsSink::Publish(uint64_t offset, NatsPtr<natsMsg> msg) {
  ++in_library_;
  natsMsg* raw = msg.release();
  jsPubOptions options;
  jsPubOptions_Init(&options);
  options.MaxWait = kAckWaitMs;
  const natsStatus status = js_PublishMsgAsync(js_, &raw, &options);
  if (status == NATS_OK) {
    // Only now does the JetStream context hold its list of pending messages: libnats makes
    // it at the first publish and drops it again when that publish fails (a connection lost
    // just before it), and js_PublishAsyncGetPendingList crashes without it.
    published_ = true;
    return Status::Ok();
  }
  msg.reset(raw);  // still ours: libnats did not take it
  --in_library_;
  if (status == NATS_MAX_PAYLOAD) {
    return Status::Failed(fmt::format("event at offset {}: larger than {} accepts (the server's max_payload)",
                                      offset, remote_));
  }
  held_[offset] = std::move(msg);
  EnterSettle(natsStatus_GetText(status));
  return Status::Ok();
}

Status NatsSink::WaitForRoom() {
  if (in_library_ < kMaxInLibrary && !failed_or_refused_) return Status::Ok();
  std::unique_lock lock(mutex_);
  while (in_library_ >= kMaxInLibrary && failure_.empty() && refused_.ok() &&
         connection_->disconnects() == disconnects_seen_) {
    changed_.wait_for(lock, std::chrono::milliseconds(100));
  }
  return refused_;
}

Status NatsSink::Send(const eventlog::Event& event) {
  EVLOG_ASSIGN_OR_RETURN(NatsPtr<natsMsg> msg, Build(event));
  if (phase_ == Phase::kNormal) {
    EVLOG_RETURN_IF_ERROR(WaitForRoom());
    if (Disrupted()) EnterSettle("a publish failed or the connection was lost");
  }
  if (phase_ != Phase::kNormal) {
    held_[event.offset] = std::move(msg);
    return Status::Ok();
  }
  return Publish(event.offset, std::move(msg));
}

Status NatsSink::Settle(std::chrono::milliseconds budget) {
  natsMsgList pending{};
  // libnats 3.4.1 crashes when asked before the first asynchronous publish.
  if (published_ && js_PublishAsyncGetPendingList(&pending, js_) == NATS_OK) {
    for (int i = 0; i < pending.Count; ++i) {
      if (std::optional<uint64_t> offset = OffsetOf(pending.Msgs[i])) {
        held_[*offset].reset(pending.Msgs[i]);
        pending.Msgs[i] = nullptr;
      }
    }
    in_library_ -= pending.Count;
    natsMsgList_Destroy(&pending);
  }
  {
    // An acknowledgement being handled right now is the last one that can arrive.
    std::unique_lock lock(mutex_);
    if (!changed_.wait_for(lock, std::chrono::seconds(1), [&] { return in_library_ == 0; })) return Status::Ok();
    for (auto& [offset, msg] : failed_) held_[offset] = std::move(msg);
    failed_.clear();
    failure_.clear();
    if (!refused_.ok()) return refused_;
    failed_or_refused_ = false;
  }
  const std::chrono::milliseconds pause = std::min(budget, std::chrono::milliseconds(100));
  if (connection_->lost()) {
    // Nothing of the old connection is in libnats any more (all back in held_ above), so
    // its JetStream context can go; the new connection is waited for below.
    js_ = nullptr;
    published_ = false;
    EVLOG_RETURN_IF_ERROR(connection_->Reopen());
    EVLOG_RETURN_IF_ERROR(Start());
  }
  if (!connection_->connected()) {
    EVLOG_RETURN_IF_ERROR(connection_->CredentialsRefused(remote_));
    Note(fmt::format("{}: no connection to the server yet; retrying ({} events wait)", remote_, held_.size()));
    signals_.Sleep(pause);
    return Status::Ok();
  }
  disconnects_seen_ = connection_->disconnects();
  Result<std::string> stream = connection_->StreamForSubject(subject_, kLookupWaitMs);
  if (!stream) {
    Note(fmt::format("{}: {}; retrying", remote_, stream.error().message()));
    signals_.Sleep(pause);
    return Status::Ok();
  }
  if (stream->empty()) {
    return Status::NotFound(fmt::format(
        "{}: no JetStream stream stores subject {}: create one whose subjects include it, e.g. `nats stream add "
        "NAME --subjects '{}' --storage file --dupe-window 2m` (the duplicate window is how long a resent event "
        "is recognised)",
        remote_, subject_, subject_));
  }
  if (noted_outage_ && !held_.empty()) {
    PrintNote(kCommand, fmt::format("{}: stream {} answers; resending from offset {}", remote_, *stream,
                                    held_.begin()->first));
  }
  phase_ = Phase::kResend;
  return Resend();
}

Status NatsSink::Resend() {
  while (!held_.empty()) {
    if (Disrupted()) {
      EnterSettle("a publish failed or the connection was lost");
      return Status::Ok();
    }
    if (in_library_ >= kMaxInLibrary) return Status::Ok();  // the rest once some are confirmed
    auto node = held_.extract(held_.begin());
    EVLOG_RETURN_IF_ERROR(Publish(node.key(), std::move(node.mapped())));
    if (phase_ != Phase::kResend) return Status::Ok();
  }
  phase_ = Phase::kNormal;
  return Status::Ok();
}

Status NatsSink::Poll(std::chrono::milliseconds timeout, std::vector<uint64_t>* confirmed) {
  if (phase_ == Phase::kNormal && Disrupted()) EnterSettle("a publish failed or the connection was lost");
  Status status = Status::Ok();
  if (phase_ == Phase::kSettle) {
    status = Settle(timeout);
  } else if (phase_ == Phase::kResend) {
    status = Resend();
  }
  std::unique_lock lock(mutex_);
  if (phase_ != Phase::kSettle) {
    changed_.wait_for(lock, timeout, [&] { return !confirmed_.empty() || !failure_.empty() || !refused_.ok(); });
  }
  confirmed->insert(confirmed->end(), confirmed_.begin(), confirmed_.end());
  confirmed_.clear();
  const std::vector<Misorder> misorders = order_.TakeMisorders();
  if (!refused_.ok()) status = refused_;
  lock.unlock();
  for (const Misorder& m : misorders) WarnMisorder(m);
  return status;
}

void NatsSink::WarnMisorder(const Misorder& m) const {
  const std::string which = m.first == m.last ? fmt::format("the event at offset {} is", m.first)
                                              : fmt::format("the events at offsets {}..{} are", m.first, m.last);
  const std::string why = m.ahead ? "a later event reached the server before the resend of an earlier one"
                                  : "a publish failed without being stored while later events were stored, and its "
                                    "resend came after them";
  PrintError(kCommand, fmt::format("warning: {}: {} in the stream {} the event at offset {}, out of the log's order: "
                                   "{} (format-spec/bridge.md §B4)",
                                   remote_, which, m.ahead ? "before" : "after", m.other, why));
}

Result<std::unique_ptr<RemoteSink>> OpenNatsSink(const Endpoint& endpoint, const NatsOptions& options,
                                                 const std::string& log_id, const SignalPipe& signals) {
  EVLOG_ASSIGN_OR_RETURN(std::unique_ptr<NatsConnection> connection,
                         NatsConnection::Open(endpoint, options, NatsReconnect::kByCaller));
  auto sink = std::make_unique<NatsSink>(std::move(connection), endpoint, log_id, signals);
  EVLOG_RETURN_IF_ERROR(sink->Start());
  return std::unique_ptr<RemoteSink>(std::move(sink));
}

}  // namespace evlog
