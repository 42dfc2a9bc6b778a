// The command line of `evlog bridge`: its options, registered with CLI11. Running it lives in
// bridge_run.cc, apart, because only the evlog-connectors program links the engines
// (commands/connector_handoff.h says why).
#include <CLI/CLI.hpp>

#include "args/group_options.h"
#include "bridge/bridge_command.h"

namespace evlog {

CLI::App* RegisterBridgeCommand(CLI::App& parent, BridgeCommandOptions& o) {
  CLI::App* app = parent.add_subcommand(
      "bridge", "Relay a log to Kafka or NATS JetStream (--to), or a topic or stream into a log (--from)");
  app->add_option("LOG", o.log_dir, "The log: read with --to, appended to with --from (created if missing)")
      ->required();
  CLI::Option* to = app->add_option(
      "--to", o.to,
      "Relay LOG's events, from GROUP's position, to kafka://HOST:PORT[,HOST:PORT]/TOPIC or "
      "nats://HOST:PORT[,HOST:PORT]/SUBJECT; GROUP is acked only as far as the remote has confirmed, in order");
  CLI::Option* from = app->add_option(
      "--from", o.from,
      "Relay kafka://HOST:PORT/TOPIC or nats://HOST:PORT/STREAM into LOG; the remote position (GROUP) is "
      "committed only once the events are durable in LOG");
  to->excludes(from);
  app->add_option("-g,--group", o.group,
                  "With --to: LOG's consumer group recording what was relayed; with --from: the Kafka consumer "
                  "group or JetStream durable consumer")
      ->required()
      ->check(GroupNameValidator());
  app->add_flag("-f,--follow", o.follow, "Keep relaying new events until SIGINT or SIGTERM (default: stop when caught up)");
  app->add_option("--partition", o.kafka.partition,
                  "Kafka, --to: produce every event to this partition (default: by key, murmur2 as Kafka's own "
                  "clients; events without a key spread over the partitions)")
      ->check(CLI::Range(0, INT32_MAX));
  app->add_option("-X", o.kafka.properties,
                  "Kafka: a librdkafka configuration property, KEY=VALUE (repeatable), e.g. "
                  "-X security.protocol=ssl -X ssl.ca.location=ca.pem; VALUE @FILE reads the value from FILE "
                  "(for secrets: -X sasl.password=@/run/secrets/kafka); values are never printed")
      ->type_name("KEY=VALUE")
      ->allow_extra_args(false);
  NatsOptions& n = o.nats;
  app->add_option("--nats-creds", n.creds_file, "NATS: a credentials file (user JWT and NKey seed)")
      ->check(CLI::ExistingFile);
  app->add_option("--nats-user", n.user, "NATS: a user name, with --nats-password-file");
  app->add_option("--nats-password-file", n.password_file, "NATS: a file holding the password of --nats-user")
      ->check(CLI::ExistingFile);
  app->add_option("--nats-token-file", n.token_file, "NATS: a file holding an authentication token")
      ->check(CLI::ExistingFile);
  app->add_flag("--tls", n.tls, "NATS: require TLS (implied by --tls-ca, --tls-cert)");
  app->add_option("--tls-ca", n.tls_ca, "NATS: CA certificates to verify the server with (PEM)")
      ->check(CLI::ExistingFile);
  app->add_option("--tls-cert", n.tls_cert, "NATS: client certificate (PEM), with --tls-key")->check(CLI::ExistingFile);
  app->add_option("--tls-key", n.tls_key, "NATS: client private key (PEM), with --tls-cert")->check(CLI::ExistingFile);
  return app;
}


}  // namespace evlog
