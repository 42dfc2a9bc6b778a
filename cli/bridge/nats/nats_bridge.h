// NATS JetStream for `evlog bridge`, through libnats: JetStream publishes with
// acknowledgements for log -> subject, a durable consumer for stream -> log (remote.h gives
// the contracts).
#pragma once

#include <memory>
#include <string>

#include "bridge/endpoint.h"
#include "bridge/engine_options.h"
#include "bridge/remote.h"
#include "eventlog/status.h"

namespace evlog {

class SignalPipe;

// `log_id` goes into the evlog.log_id header and, with the subject, the offset and the
// event's fingerprint, the Nats-Msg-Id of every message (nats_message_codec.h).
eventlog::Result<std::unique_ptr<RemoteSink>> OpenNatsSink(const Endpoint& endpoint, const NatsOptions& options,
                                                           const std::string& log_id, const SignalPipe& signals);

// Consumes `endpoint`'s stream through the durable consumer `group`.
eventlog::Result<std::unique_ptr<RemoteSource>> OpenNatsSource(const Endpoint& endpoint, const NatsOptions& options,
                                                               const std::string& group, bool follow,
                                                               const SignalPipe& signals);

}  // namespace evlog
