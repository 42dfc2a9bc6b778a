#include "bridge/nats/nats_bridge.h"

// A placeholder until the engine lands: the command, its options and the pumps are shared.
namespace evlog {

eventlog::Result<std::unique_ptr<RemoteSink>> OpenNatsSink(const Endpoint& endpoint, const NatsOptions&,
                                                           const std::string&, const SignalPipe&) {
  return eventlog::Status::InvalidArgument(endpoint.text + ": not implemented yet");
}

eventlog::Result<std::unique_ptr<RemoteSource>> OpenNatsSource(const Endpoint& endpoint, const NatsOptions&,
                                                               const std::string&, bool, const SignalPipe&) {
  return eventlog::Status::InvalidArgument(endpoint.text + ": not implemented yet");
}

}  // namespace evlog
