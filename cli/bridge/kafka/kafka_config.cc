#include "bridge/kafka/kafka_config.h"

#include "bridge/kafka/kafka_bridge.h"

#include <librdkafka/rdkafka.h>
#include <signal.h>

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "term/report.h"

namespace evlog {

using eventlog::Result;
using eventlog::Status;

namespace {

constexpr char kCommand[] = "bridge";
constexpr std::chrono::seconds kWaitNoteInterval{5};

// Decided by the bridge, not by -X: the endpoint and -g name the cluster and the group, and
// the rest is what at-least-once in order rests on (format-spec/bridge.md §B3). Both names
// of an aliased property are listed.
// Also those that would break per-key order or let a message expire unconfirmed.
// delivery.report.only.error: a successful delivery report is what confirms an event (§B5);
// without them the bridge would wait for ever. auto.offset.reset: a new group reads the
// topic from its earliest record (§B3); "latest" would skip the backlog.
constexpr std::array<std::string_view, 16> kReservedProperties = {
    "bootstrap.servers",  "metadata.broker.list",  "group.id",           "enable.idempotence",
    "acks",               "request.required.acks", "enable.auto.commit", "enable.partition.eof",
    "partitioner",        "partitioner_cb",        "message.timeout.ms", "delivery.timeout.ms",
    "retries",            "message.send.max.retries", "delivery.report.only.error", "auto.offset.reset",
};

// The -X values of this process, which no message may quote: written once, before the
// client (and so before any thread that logs) exists, read-only afterwards.
std::vector<std::string>& UnprintableValues() {
  static std::vector<std::string> values;
  return values;
}

// Whether -X debug=... asked for librdkafka's debug log, and the -X values its lines must
// not show; like UnprintableValues(), written before the client exists, read-only afterwards.
bool& DebugRequested() {
  static bool requested = false;
  return requested;
}
std::vector<std::string>& DebugMaskedValues() {
  static std::vector<std::string> values;
  return values;
}

// Whether `text` quotes a secret -X value (DebugMaskedValues: of a credential key, or read
// from @FILE), whole or any word of it: librdkafka quotes a part of a value it cannot parse
// ("Unrecognized sasl.oauthbearer.config beginning at: mysecret=..."), which the whole
// value would not match. A word lies between blanks, '=', ',', ';', ':' or quotes, and has
// 4 bytes or more (shorter ones are too common to mean anything).
bool QuotesASecret(std::string_view text) {
  for (const std::string& secret : DebugMaskedValues()) {
    if (text.find(secret) != std::string_view::npos) return true;
    size_t start = 0;
    while (start < secret.size()) {
      size_t end = secret.find_first_of(" \t\n=,;:\"'", start);
      if (end == std::string::npos) end = secret.size();
      if (end - start >= 4 && text.find(std::string_view(secret).substr(start, end - start)) != std::string_view::npos)
        return true;
      start = end + 1;
    }
  }
  return false;
}

// Whether `text` quotes any -X value, or a word of a secret one.
bool QuotesAValue(std::string_view text) {
  for (const std::string& value : UnprintableValues())
    if (!value.empty() && text.find(value) != std::string_view::npos) return true;
  return QuotesASecret(text);
}

// librdkafka's explanation, " (TEXT)", unless it quotes the value of any -X property: a
// refused value, or one that rd_kafka_new() found inconsistent, may be a secret.
std::string Explanation(std::string_view text) {
  if (text.empty()) return "";
  if (QuotesAValue(text)) return " (librdkafka's explanation quotes a -X value, so it is not shown)";
  return fmt::format(" ({})", text);
}

// Whether a -X key names a credential (or the place of one) by librdkafka's naming:
// sasl.password, sasl.username, ssl.key.password, ssl.key.pem, sasl.oauthbearer.client.secret,
// sasl.oauthbearer.config, sasl.jaas.config, ssl.keystore.password, ...
bool IsCredentialKey(std::string_view key) {
  for (std::string_view part : {"password", "secret", "username", "token", "jaas", "oauthbearer", "ssl.key",
                                "keystore", "credential", ".pem"}) {
    if (key.find(part) != std::string_view::npos) return true;
  }
  return false;
}

// `text` with every occurrence of a masked value replaced by "***".
std::string MaskValues(std::string_view text) {
  std::string masked(text);
  for (const std::string& value : DebugMaskedValues()) {
    for (size_t at = masked.find(value); at != std::string::npos; at = masked.find(value, at + 3))
      masked.replace(at, value.size(), "***");
  }
  return masked;
}

// librdkafka's own log: its configuration warnings (a consumer property given to the
// producer, a deprecated name) are worth showing; everything else it logs about brokers
// also reaches the error callback, which the engines turn into rate-limited notes. Its
// debug lines are shown when -X debug=CONTEXTS asked for them, as librdkafka's own clients
// do, with the values of credential keys and of keys read from @FILE replaced by "***"
// wherever they appear. Other -X values stay visible (a broker named
// sasl_ssl://host:9092 is most of what debugging a secured cluster needs to see);
// librdkafka itself prints the properties it knows to be sensitive as "[redacted]".
void ForwardLog(const rd_kafka_t*, int level, const char* facility, const char* message) {
  if (level >= 7) {
    if (DebugRequested()) PrintError(kCommand, fmt::format("librdkafka {}: {}", facility, MaskValues(message)));
    return;
  }
  if (level > 4 || std::string_view(facility) != "CONFWARN") return;
  PrintError(kCommand, QuotesAValue(message) ? "warning: librdkafka warns about a -X property (its text quotes the "
                                               "value, so it is not shown)"
                                             : fmt::format("warning: librdkafka: {}", message));
}

}  // namespace

void KafkaConfDeleter::operator()(rd_kafka_conf_s* conf) const { rd_kafka_conf_destroy(conf); }
void KafkaHandleDeleter::operator()(rd_kafka_s* handle) const { rd_kafka_destroy(handle); }

std::optional<std::string> KafkaPropertyProblem(const KafkaOptions& options) {
  for (size_t i = 0; i < options.properties.size(); ++i) {
    const std::string& property = options.properties[i];
    const size_t equals = property.find('=');
    if (equals == std::string::npos || equals == 0) {
      return fmt::format("-X takes KEY=VALUE, but the -X argument number {} has no key and '=' (it is not "
                         "shown, as it may hold a secret)",
                         i + 1);
    }
    const std::string_view key(property.data(), equals);
    if (std::find(kReservedProperties.begin(), kReservedProperties.end(), key) != kReservedProperties.end()) {
      return fmt::format("-X {}: set by the bridge itself (the URL, -g, or the delivery guarantee), not by -X", key);
    }
  }
  return std::nullopt;
}

Result<KafkaConf> NewKafkaConf(const Endpoint& endpoint, const std::vector<std::pair<std::string, std::string>>& settings,
                               const KafkaOptions& options) {
  if (auto problem = KafkaPropertyProblem(options)) return Status::InvalidArgument(*problem);
  for (const std::string& property : options.properties) {
    const size_t equals = property.find('=');
    const std::string key = property.substr(0, equals);
    const std::string value = property.substr(equals + 1);
    UnprintableValues().push_back(value);
    if (key == "debug") DebugRequested() = true;
    const bool from_file = std::find(options.file_keys.begin(), options.file_keys.end(), key) != options.file_keys.end();
    if (!value.empty() && (IsCredentialKey(key) || from_file)) DebugMaskedValues().push_back(value);
  }
  KafkaConf conf(rd_kafka_conf_new());
  char error[512];
  auto set = [&](std::string_view key, std::string_view value, bool from_user) -> Status {
    // The bridge's own values are never secrets, but a -X value may equal one of them.
    error[0] = '\0';
    const std::string name(key);
    const std::string text(value);
    switch (rd_kafka_conf_set(conf.get(), name.c_str(), text.c_str(), error, sizeof error)) {
      case RD_KAFKA_CONF_OK: return Status::Ok();
      case RD_KAFKA_CONF_UNKNOWN:
        return Status::InvalidArgument(fmt::format("-X {}: librdkafka has no such property", key));
      default:
        return Status::InvalidArgument(
            fmt::format("{}{}: librdkafka refused its value{}", from_user ? "-X " : "", key, Explanation(error)));
    }
  };
  std::string servers;
  for (const std::string& server : endpoint.servers) servers += (servers.empty() ? "" : ",") + server;
  EVLOG_RETURN_IF_ERROR(set("bootstrap.servers", servers, false));
  for (const auto& [key, value] : settings) EVLOG_RETURN_IF_ERROR(set(key, value, false));
  for (const std::string& property : options.properties) {
    const size_t equals = property.find('=');
    EVLOG_RETURN_IF_ERROR(
        set(std::string_view(property).substr(0, equals), std::string_view(property).substr(equals + 1), true));
  }
  rd_kafka_conf_set_log_cb(conf.get(), ForwardLog);
  return conf;
}

Result<KafkaHandle> NewKafkaHandle(int type, KafkaConf conf) {
  sigset_t blocked;
  sigset_t previous;
  sigemptyset(&blocked);
  for (int signal : {SIGINT, SIGTERM, SIGCHLD}) sigaddset(&blocked, signal);
  pthread_sigmask(SIG_BLOCK, &blocked, &previous);
  char error[512];
  error[0] = '\0';
  // On success rd_kafka_new() owns the configuration; on failure it is still ours.
  rd_kafka_t* handle = rd_kafka_new(static_cast<rd_kafka_type_t>(type), conf.get(), error, sizeof error);
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  if (handle == nullptr) {
    // rd_kafka_new() checks the properties against each other and loads what they name
    // (certificates, SASL mechanisms).
    return Status::InvalidArgument(fmt::format("librdkafka refused the configuration{}", Explanation(error)));
  }
  conf.release();
  return KafkaHandle(handle);
}

std::string LibrdkafkaError(std::string_view text) {
  return QuotesAValue(text) ? "librdkafka's text quotes a -X value, so it is not shown" : std::string(text);
}

std::string LibrdkafkaNote(std::string_view text) {
  return QuotesASecret(text) ? "librdkafka's text quotes a secret -X value, so it is not shown" : std::string(text);
}

void KafkaWaitNotes::Note(std::string_view reason) {
  const auto now = std::chrono::steady_clock::now();
  if (last_ && now - *last_ < kWaitNoteInterval) return;
  last_ = now;
  PrintNote(kCommand, fmt::format("waiting for {}: {}; retrying", remote_, LibrdkafkaNote(reason)));
}

}  // namespace evlog
