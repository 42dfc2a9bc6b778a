// The options of `evlog bridge` that belong to one engine, filled by the command line and
// read by the engine's target. Secrets never appear here: only the paths of the files that
// hold them, so that they stay out of argv (ps), shell history and every message.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace evlog {

struct KafkaOptions {
  std::optional<int32_t> partition;     // --partition N; otherwise by key (murmur2)
  std::vector<std::string> properties;  // -X key=value, librdkafka configuration, in order
  std::vector<std::string> file_keys;   // the keys of those whose value came from -X key=@FILE
};

struct NatsOptions {
  std::optional<std::string> creds_file;     // --nats-creds FILE (JWT + NKey seed)
  std::optional<std::string> user;           // --nats-user NAME, with --nats-password-file
  std::optional<std::string> password_file;  // --nats-password-file FILE
  std::optional<std::string> token_file;     // --nats-token-file FILE
  bool tls = false;                          // --tls, implied by the three below
  std::optional<std::string> tls_ca;         // --tls-ca FILE
  std::optional<std::string> tls_cert;       // --tls-cert FILE, with --tls-key
  std::optional<std::string> tls_key;        // --tls-key FILE
};

}  // namespace evlog
