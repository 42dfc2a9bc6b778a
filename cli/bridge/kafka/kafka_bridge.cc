#include "bridge/kafka/kafka_bridge.h"

#include "bridge/kafka/kafka_sink.h"
#include "bridge/kafka/kafka_source.h"

namespace evlog {

eventlog::Result<std::unique_ptr<RemoteSink>> OpenKafkaSink(const Endpoint& endpoint, const KafkaOptions& options,
                                                           const std::string& log_id, const SignalPipe& signals) {
  EVLOG_ASSIGN_OR_RETURN(auto sink, KafkaSink::Open(endpoint, options, log_id, signals));
  return std::unique_ptr<RemoteSink>(std::move(sink));
}

eventlog::Result<std::unique_ptr<RemoteSource>> OpenKafkaSource(const Endpoint& endpoint, const KafkaOptions& options,
                                                               const std::string& group, bool,
                                                               const SignalPipe& signals) {
  EVLOG_ASSIGN_OR_RETURN(auto source, KafkaSource::Open(endpoint, options, group, signals));
  return std::unique_ptr<RemoteSource>(std::move(source));
}

}  // namespace evlog
