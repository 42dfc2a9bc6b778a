#include "bridge/kafka/kafka_bridge.h"

// A placeholder until the engine lands: the command, its options and the pumps are shared.
namespace evlog {

eventlog::Result<std::unique_ptr<RemoteSink>> OpenKafkaSink(const Endpoint& endpoint, const KafkaOptions&,
                                                           const std::string&, const SignalPipe&) {
  return eventlog::Status::InvalidArgument(endpoint.text + ": not implemented yet");
}

eventlog::Result<std::unique_ptr<RemoteSource>> OpenKafkaSource(const Endpoint& endpoint, const KafkaOptions&,
                                                               const std::string&, bool, const SignalPipe&) {
  return eventlog::Status::InvalidArgument(endpoint.text + ": not implemented yet");
}

}  // namespace evlog
