// `evlog bridge LOG --to URL -g GROUP` relays a log to Kafka or NATS JetStream;
// `evlog bridge LOG --from URL -g GROUP` relays a topic or stream into a log.
#pragma once

#include <optional>
#include <string>

#include "bridge/engine_options.h"

namespace CLI {
class App;
}

namespace evlog {

struct BridgeCommandOptions {
  std::string log_dir;
  std::optional<std::string> to;
  std::optional<std::string> from;
  std::string group;
  bool follow = false;
  KafkaOptions kafka;
  NatsOptions nats;
};

CLI::App* RegisterBridgeCommand(CLI::App& parent, BridgeCommandOptions& options);

// Returns the exit status (exit_codes.h).
int RunBridgeCommand(const BridgeCommandOptions& options);

}  // namespace evlog
