// An LD_PRELOAD shim for the NATS bridge tests: closes the connection just before the
// process's N-th asynchronous JetStream publish (N from $EVLOG_CLOSE_BEFORE_PUBLISH, 1 when
// unset), so that it fails with "Connection Closed", once. N = 1 is a connection lost
// between the stream lookup and the first publish on a JetStream context (libnats 3.4.1
// then has no list of pending messages, and asking for it crashed the bridge); a larger N,
// one lost with publishes in flight. Prints a line on stderr when it closes. Not part of
// evlog.
#include <nats/nats.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>

#include "shim_util.h"

namespace {

std::atomic<natsConnection*> last_connection{nullptr};
std::atomic<long> publishes{0};

}  // namespace

extern "C" natsStatus natsConnection_JetStream(jsCtx** js, natsConnection* nc, jsOptions* options) {
  static auto real = evlog_shim::Real<natsStatus (*)(jsCtx**, natsConnection*, jsOptions*)>("natsConnection_JetStream");
  last_connection = nc;
  return real(js, nc, options);
}

extern "C" natsStatus js_PublishMsgAsync(jsCtx* js, natsMsg** msg, jsPubOptions* options) {
  static auto real = evlog_shim::Real<natsStatus (*)(jsCtx*, natsMsg**, jsPubOptions*)>("js_PublishMsgAsync");
  static const long close_before = [] {
    const char* n = std::getenv("EVLOG_CLOSE_BEFORE_PUBLISH");
    return n != nullptr ? std::atol(n) : 1L;
  }();
  if (publishes.fetch_add(1) + 1 == close_before && last_connection != nullptr) {
    std::fprintf(stderr, "close_before_first_publish: the connection closes now\n");
    natsConnection_Close(last_connection);
  }
  return real(js, msg, options);
}
