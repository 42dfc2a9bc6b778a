// Where a bridge relays to or from, as the user writes it:
//   kafka://HOST:PORT[,HOST:PORT...]/TOPIC
//   nats://HOST:PORT[,HOST:PORT...]/SUBJECT-OR-STREAM
// The host list is what each engine's client takes as its seed (bootstrap.servers, the NATS
// server list); the path names the topic, subject or stream. Nothing else is accepted: no
// user:password@ (credentials belong in options read from files, never in argv, which any
// user can read with ps), no query string.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "eventlog/status.h"

namespace evlog {

enum class BridgeEngine { kKafka, kNats };

struct Endpoint {
  BridgeEngine engine = BridgeEngine::kKafka;
  std::vector<std::string> servers;  // "host:port", in the order given
  std::string name;                  // topic, subject or stream
  std::string text;                  // as given, for messages
};

// kInvalidArgument with a message naming the part that is wrong and the expected form.
eventlog::Result<Endpoint> ParseEndpoint(std::string_view url);

std::string_view EngineName(BridgeEngine engine);  // "kafka", "nats"

}  // namespace evlog
