// Kafka for `evlog bridge`, through librdkafka: a producer for log -> topic and a consumer
// for topic -> log (remote.h gives the contracts).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "bridge/endpoint.h"
#include "bridge/engine_options.h"
#include "bridge/remote.h"
#include "eventlog/status.h"

namespace evlog {

class SignalPipe;

// A usage problem in the -X properties, or nullopt: an argument without '=' (not shown: it
// may be a secret typed in the wrong place), or a property the bridge sets itself because
// the URL, -g or the delivery guarantee decides it (named, never with its value).
std::optional<std::string> KafkaPropertyProblem(const KafkaOptions& options);

// `log_id` goes into the evlog.log_id header of every message.
eventlog::Result<std::unique_ptr<RemoteSink>> OpenKafkaSink(const Endpoint& endpoint, const KafkaOptions& options,
                                                            const std::string& log_id, const SignalPipe& signals);

// Consumes `endpoint`'s topic as consumer group `group`.
eventlog::Result<std::unique_ptr<RemoteSource>> OpenKafkaSource(const Endpoint& endpoint, const KafkaOptions& options,
                                                                const std::string& group, bool follow,
                                                                const SignalPipe& signals);

}  // namespace evlog
