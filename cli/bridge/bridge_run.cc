// Running `evlog bridge` (options registered in bridge_command.cc): checks what CLI11 cannot
// (which options go with which engine and direction), then drives a pump with an engine.
#include "bridge/bridge_command.h"

#include <malloc.h>

#include <fmt/format.h>

#include "args/lock_options.h"
#include "bridge/endpoint.h"
#include "bridge/inbound_pump.h"
#include "bridge/kafka/kafka_bridge.h"
#include "bridge/nats/nats_bridge.h"
#include "bridge/outbound_pump.h"
#include "bridge/secret_file.h"
#include "eventlog/consumer_groups.h"
#include "replay/signal_pipe.h"
#include "term/exit_codes.h"
#include "term/report.h"

namespace evlog {
namespace {

using eventlog::Result;
using eventlog::Status;

constexpr char kCommand[] = "bridge";

int Usage(std::string_view message) { return ReportUsageError(kCommand, message, "bridge"); }

// The exit status once the pump stopped: a signal's 128 + N wins, as for replay. kBusy
// with a signal pending is a wait the signal cut short (a commit of the remote position
// being retried): what it left undone is the next run's, as for any stop by a signal, so
// it is a note, not an error.
int Finish(const Status& status, const SignalPipe& signals, const std::string& summary) {
  PrintNote(kCommand, summary);
  const int signal = signals.termination();
  if (!status.ok() && (signal == 0 || status.code() != eventlog::StatusCode::kBusy)) {
    PrintError(kCommand, status.message());
    return ExitCodeFor(status);
  }
  if (!status.ok()) PrintNote(kCommand, status.message());
  if (signal != 0) return 128 + signal;
  return kExitOk;
}

int RunTo(const BridgeCommandOptions& o, const Endpoint& endpoint, const SignalPipe& signals) {
  eventlog::LogOptions log_options;
  ApplyLockOptions(log_options, std::nullopt, kCommand);
  auto log = eventlog::Log::Open(o.log_dir, log_options);
  if (!log) return ReportFailure(kCommand, log.error());
  PrintRecoveryNotes(kCommand, **log);
  auto groups = eventlog::ConsumerGroups::Open(**log);
  if (!groups) return ReportFailure(kCommand, groups.error());
  if (endpoint.engine == BridgeEngine::kKafka) {
    // Without glibc's fastbins: librdkafka allocates and frees a few small blocks per message
    // (the message, its headers) in bursts of tens of thousands, and glibc merges fastbin
    // blocks back by sweeping all of them whenever a large block is freed or wanted, which
    // took a quarter of the main thread in the delivery reports. Small blocks still come from
    // the per-thread cache. 1M events: 1.75 s of user CPU and 1.2 s wall before, 0.95 s and
    // 0.72 s after. Not for NATS, where it measured slightly slower. Set before librdkafka
    // starts its threads.
    mallopt(M_MXFAST, 0);
  }
  auto sink = endpoint.engine == BridgeEngine::kKafka ? OpenKafkaSink(endpoint, o.kafka, (*log)->log_id(), signals)
                                                      : OpenNatsSink(endpoint, o.nats, (*log)->log_id(), signals);
  if (!sink) return ReportFailure(kCommand, sink.error());
  OutboundPump pump(**log, **groups, **sink, signals,
                    {.group = o.group, .follow = o.follow, .remote = endpoint.text});
  Status status = pump.Run();
  return Finish(status, signals, pump.Summary());
}

int RunFrom(const BridgeCommandOptions& o, const Endpoint& endpoint, const SignalPipe& signals) {
  eventlog::LogOptions log_options{.create_if_missing = true};
  ApplyLockOptions(log_options, std::nullopt, kCommand);
  auto log = eventlog::Log::Open(o.log_dir, log_options);
  if (!log) return ReportFailure(kCommand, log.error());
  PrintRecoveryNotes(kCommand, **log);
  auto source = endpoint.engine == BridgeEngine::kKafka
                    ? OpenKafkaSource(endpoint, o.kafka, o.group, o.follow, signals)
                    : OpenNatsSource(endpoint, o.nats, o.group, o.follow, signals);
  if (!source) return ReportFailure(kCommand, source.error());
  InboundPump pump(**log, **source, signals, {.follow = o.follow, .remote = endpoint.text});
  Status status = pump.Run();
  return Finish(status, signals, pump.Summary(/*failed=*/!status.ok()));
}

// Whether a NATS subject has a wildcard token ("*" or ">"): it names many subjects,
// and one published to would be stored under the literal name (found by a review).
bool HasWildcardToken(std::string_view subject) {
  size_t start = 0;
  for (;;) {
    const size_t dot = subject.find('.', start);
    const std::string_view token = subject.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (token == "*" || token == ">") return true;
    if (dot == std::string_view::npos) return false;
    start = dot + 1;
  }
}

// Options that only one engine or one direction reads are refused elsewhere, so that a
// mistyped command never runs with an option silently ignored.
std::optional<std::string> MisplacedOption(const BridgeCommandOptions& o, const Endpoint& endpoint) {
  const bool kafka = endpoint.engine == BridgeEngine::kKafka;
  const NatsOptions& n = o.nats;
  const bool nats_options = n.creds_file || n.user || n.password_file || n.token_file || n.tls || n.tls_ca ||
                            n.tls_cert || n.tls_key;
  if (kafka && nats_options) return "the --nats-* and --tls* options are for nats:// endpoints";
  if (!kafka && !o.kafka.properties.empty()) return "-X passes librdkafka properties: only for kafka:// endpoints";
  if (auto problem = KafkaPropertyProblem(o.kafka)) return problem;
  if (!kafka && o.kafka.partition) return "--partition is only for kafka:// endpoints";
  if (o.from && o.kafka.partition) return "--partition chooses where --to writes; --from reads every partition";
  if (!kafka && !o.from && HasWildcardToken(endpoint.name)) {
    return fmt::format("--to nats://.../{}: a token * or > names many subjects; the bridge publishes to one", endpoint.name);
  }
  if (n.user.has_value() != n.password_file.has_value()) return "--nats-user and --nats-password-file go together";
  if (n.tls_cert.has_value() != n.tls_key.has_value()) return "--tls-cert and --tls-key go together";
  return std::nullopt;
}

// -X KEY=VALUE with every "@FILE" value replaced by the file's content (secret_file.h);
// the keys whose value was read from a file go to *file_keys.
Result<std::vector<std::string>> ResolveProperties(const std::vector<std::string>& properties,
                                                   std::vector<std::string>* file_keys) {
  std::vector<std::string> resolved;
  for (size_t i = 0; i < properties.size(); ++i) {
    const std::string& property = properties[i];
    size_t equals = property.find('=');
    if (equals == std::string::npos || equals == 0) {
      // Not echoed: it may be a secret given in the wrong place.
      return Status::InvalidArgument(fmt::format("-X number {} is not KEY=VALUE", i + 1));
    }
    const std::string_view given = std::string_view(property).substr(equals + 1);
    auto value = ResolvePropertyValue(given);
    if (!value) return value.error().WithContext(fmt::format("-X {}", property.substr(0, equals)));
    if (NamesSecretFile(given)) file_keys->push_back(property.substr(0, equals));
    resolved.push_back(property.substr(0, equals + 1) + *value);
  }
  return resolved;
}

}  // namespace

int RunBridgeCommand(const BridgeCommandOptions& o) {
  if (!o.to && !o.from) return Usage("say where to relay: --to URL (LOG to the remote) or --from URL (into LOG)");
  auto endpoint = ParseEndpoint(o.to ? *o.to : *o.from);
  if (!endpoint) return Usage(endpoint.error().message());
  if (auto misplaced = MisplacedOption(o, *endpoint)) return Usage(*misplaced);
  std::vector<std::string> file_keys;
  auto properties = ResolveProperties(o.kafka.properties, &file_keys);
  if (!properties) {
    return properties.error().code() == eventlog::StatusCode::kInvalidArgument ? Usage(properties.error().message())
                                                                               : ReportFailure(kCommand, properties.error());
  }
  BridgeCommandOptions resolved = o;
  resolved.kafka.properties = std::move(*properties);
  resolved.kafka.file_keys = std::move(file_keys);
  auto signals = SignalPipe::Install();
  if (!signals) return ReportFailure(kCommand, signals.error());
  return o.to ? RunTo(resolved, *endpoint, **signals) : RunFrom(resolved, *endpoint, **signals);
}

}  // namespace evlog
