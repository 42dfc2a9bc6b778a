// One libnats connection for the bridge: the endpoint's servers, the credentials and TLS of
// NatsOptions, and reconnection without end (a server that is down is waited for, never an
// error), by libnats or, for a publisher, by its caller (NatsReconnect). The secrets are read
// from their files here and handed to libnats only; no message ever contains them.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <nats/nats.h>

#include "bridge/endpoint.h"
#include "bridge/engine_options.h"
#include "eventlog/status.h"

namespace evlog {

struct NatsDeleter {
  void operator()(natsConnection* c) const { natsConnection_Destroy(c); }
  void operator()(natsOptions* o) const { natsOptions_Destroy(o); }
  void operator()(jsCtx* js) const { jsCtx_Destroy(js); }
  void operator()(natsSubscription* s) const { natsSubscription_Destroy(s); }
  void operator()(natsMsg* m) const { natsMsg_Destroy(m); }
  void operator()(natsStatistics* s) const { natsStatistics_Destroy(s); }
};
template <typename T>
using NatsPtr = std::unique_ptr<T, NatsDeleter>;

// "WHAT: libnats's text for `status` (and its last error, when it says more)".
eventlog::Status NatsError(std::string_view what, natsStatus status);

// Who connects again once an established connection is lost.
//   kByLibrary: libnats, in the background; what is published meanwhile is buffered and sent
//     first on the new connection. Fine for a consumer, which publishes only acknowledgements.
//   kByCaller: nobody; the connection closes and every publish fails until the caller
//     calls Reopen(). A publisher that must keep an order needs this: libnats buffers at least
//     one message while it reconnects whatever its reconnect buffer size (it refuses a
//     publish only once the buffer is full, and an empty buffer takes any message), and sends
//     it before anything the publisher resends on the new connection: a later event stored
//     before the lost earlier ones.
enum class NatsReconnect { kByLibrary, kByCaller };

class NatsConnection {
 public:
  // Starts connecting; returns at once even when no server answers yet (libnats keeps
  // trying in the background). Errors: unreadable credential files, bad TLS material, a
  // server that refuses the credentials.
  static eventlog::Result<std::unique_ptr<NatsConnection>> Open(const Endpoint& endpoint, const NatsOptions& options,
                                                                NatsReconnect reconnect = NatsReconnect::kByLibrary);
  ~NatsConnection();

  // kByCaller: the connection was lost and will not come back by itself.
  bool lost() const;
  // kByCaller: closes what is left of the connection and starts connecting anew, as Open
  // does. The JetStream context goes with the old connection: call JetStream() again.
  eventlog::Status Reopen();

  natsConnection* get() const { return connection_.get(); }
  // The JetStream context, made with `options` (the sink's publish callbacks) by the first call.
  eventlog::Result<jsCtx*> JetStream(jsOptions* options = nullptr);
  bool connected() const;
  // While not connected: the server's refusal of the credentials (no credentials, wrong
  // ones, a user without permission), which waiting does not cure, as an error that says
  // which options to check; OK otherwise (a server that is down is waited for).
  eventlog::Status CredentialsRefused(std::string_view remote) const;
  // Counts the connections lost since Open; a change means that what was published before
  // it may be missing from the server while what follows it is not.
  uint64_t disconnects() const { return callbacks_->disconnects.load(); }

  // The JetStream request $JS.API.STREAM.NAMES for the streams that store `subject`:
  // the first one's name, "" when none does. An error when JetStream does not answer.
  eventlog::Result<std::string> StreamForSubject(const std::string& subject, int64_t timeout_ms) const;

 private:
  // What libnats's connection callbacks touch. They run on libnats's own thread, later than
  // the event that posts them: closing the connection posts a last "disconnected" and then
  // "closed", which may run after natsConnection_Close returns (seen under ASan as a write
  // to a freed NatsConnection). The destructor waits for "closed", the last one.
  struct CallbackState {
    std::atomic<uint64_t> disconnects{0};
    std::mutex mutex;
    std::condition_variable changed;
    bool closed = false;
  };

  NatsConnection() = default;
  static void OnDisconnected(natsConnection*, void* closure);
  static void OnClosed(natsConnection*, void* closure);
  eventlog::Status Connect();
  // Points libnats's connection callbacks, in options_, at callbacks_.
  eventlog::Status SetCallbacks();
  // Closes the connection and waits for libnats's last callback about it.
  void Close();

  std::unique_ptr<CallbackState> callbacks_ = std::make_unique<CallbackState>();
  std::string remote_;  // the endpoint as given, for messages
  NatsPtr<natsOptions> options_;
  NatsPtr<natsConnection> connection_;
  NatsPtr<jsCtx> js_;
};

}  // namespace evlog
