// librdkafka configuration for the bridge, shared by the producer (log -> topic) and the
// consumer (topic -> log): the settings the delivery guarantee rests on (format-spec/bridge.md
// §B3), then the user's -X properties in order. Values given with -X may be secrets
// (sasl.password, ssl.key.password): no error or warning here ever contains a -X value.
// Only librdkafka's debug log, which -X debug=... asks for, shows -X values, and never those
// of credential keys or of values read from @FILE (kafka_config.cc).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bridge/endpoint.h"
#include "bridge/engine_options.h"
#include "eventlog/status.h"

struct rd_kafka_conf_s;
struct rd_kafka_s;

namespace evlog {

// Owns an rd_kafka_conf_t until rd_kafka_new() takes it.
struct KafkaConfDeleter {
  void operator()(rd_kafka_conf_s* conf) const;
};
using KafkaConf = std::unique_ptr<rd_kafka_conf_s, KafkaConfDeleter>;

// Destroys an rd_kafka_t (after the owner has flushed or closed it as it sees fit).
struct KafkaHandleDeleter {
  void operator()(rd_kafka_s* handle) const;
};
using KafkaHandle = std::unique_ptr<rd_kafka_s, KafkaHandleDeleter>;

// `settings` (the bridge's own, as name/value pairs), then -X in order, on a new
// configuration with bootstrap.servers from the endpoint. Errors name the property only.
eventlog::Result<KafkaConf> NewKafkaConf(const Endpoint& endpoint,
                                         const std::vector<std::pair<std::string, std::string>>& settings,
                                         const KafkaOptions& options);

// Creates the client with SIGINT, SIGTERM and SIGCHLD blocked, so that librdkafka's threads,
// which inherit the mask, never take them: they reach the main thread's SignalPipe handlers.
// Its errors never quote a -X value.
eventlog::Result<KafkaHandle> NewKafkaHandle(int type, KafkaConf conf);

// Text librdkafka wrote, or a sentence saying it is not shown. For an error (a fatal
// error, a message's error string): if it quotes any -X value, or a word of a secret one
// (a credential key's value, or one read from @FILE: librdkafka quotes the part of a value
// it cannot parse). For a note (why the bridge waits and retries): only if it quotes a
// secret, whole or a word of it; a broker named sasl_ssl://... must stay visible there.
std::string LibrdkafkaError(std::string_view text);
std::string LibrdkafkaNote(std::string_view text);

// "waiting for kafka://...: REASON; retrying" on stderr, at most one every few seconds
// however often librdkafka reports a broker it cannot reach.
class KafkaWaitNotes {
 public:
  explicit KafkaWaitNotes(std::string remote) : remote_(std::move(remote)) {}
  void Note(std::string_view reason);

 private:
  std::string remote_;
  std::optional<std::chrono::steady_clock::time_point> last_;
};

}  // namespace evlog
