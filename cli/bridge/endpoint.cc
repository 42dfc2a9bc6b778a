#include "bridge/endpoint.h"

#include <charconv>

#include <fmt/format.h>

namespace evlog {

using eventlog::Result;
using eventlog::Status;

namespace {

constexpr std::string_view kForms =
    "expected kafka://HOST:PORT[,HOST:PORT]/TOPIC or nats://HOST:PORT[,HOST:PORT]/SUBJECT";

// The URL as it may be printed: anything between "//" and an '@' (user:password) hidden.
std::string Printable(std::string_view url) {
  const size_t start = url.find("//");
  const size_t at = url.find('@');
  if (start == std::string_view::npos || at == std::string_view::npos || at < start) return std::string(url);
  const size_t slash = url.find('/', start + 2);
  if (slash != std::string_view::npos && slash < at) return std::string(url);
  return fmt::format("{}//***@{}", url.substr(0, start), url.substr(at + 1));
}

Status Bad(std::string_view url, std::string_view what) {
  return Status::InvalidArgument(fmt::format("bridge endpoint '{}': {} ({})", Printable(url), what, kForms));
}

// "host:port" with a non-empty host and a port in 1..65535. An IPv6 address goes in
// brackets, "[::1]:9092", as in URLs.
bool ValidServer(std::string_view server) {
  size_t colon = server.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  std::string_view host = server.substr(0, colon);
  std::string_view port = server.substr(colon + 1);
  if (host.front() == '[' ? host.back() != ']' || host.size() < 3 : host.find(':') != std::string_view::npos)
    return false;
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  return ec == std::errc() && end == port.data() + port.size() && value >= 1 && value <= 65535;
}

// Topic, subject and stream names: printable ASCII without spaces or '/', which keeps them
// safe to print and to pass on. Each engine checks its own finer rules when it connects.
bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > 249) return false;  // 249: Kafka's longest topic name
  for (char c : name)
    if (c <= ' ' || c > '~' || c == '/') return false;
  return true;
}

}  // namespace

Result<Endpoint> ParseEndpoint(std::string_view url) {
  Endpoint endpoint;
  endpoint.text = std::string(url);
  std::string_view rest;
  if (url.starts_with("kafka://")) {
    endpoint.engine = BridgeEngine::kKafka;
    rest = url.substr(8);
  } else if (url.starts_with("nats://")) {
    endpoint.engine = BridgeEngine::kNats;
    rest = url.substr(7);
  } else {
    return Bad(url, "unknown scheme");
  }
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return Bad(url, "no /TOPIC or /SUBJECT after the servers");
  std::string_view servers = rest.substr(0, slash);
  std::string_view name = rest.substr(slash + 1);
  if (servers.find('@') != std::string_view::npos)
    return Bad(url, "credentials do not go in the URL (anyone can read a command line with ps); "
                    "see the credential options in 'evlog bridge --help'");
  if (name.find_first_of("?#") != std::string_view::npos) return Bad(url, "no query or fragment is accepted");
  if (!ValidName(name)) return Bad(url, fmt::format("'{}' is not a valid topic or subject name", name));
  endpoint.name = std::string(name);
  while (!servers.empty()) {
    size_t comma = servers.find(',');
    std::string_view server = servers.substr(0, comma);
    if (!ValidServer(server)) return Bad(url, fmt::format("'{}' is not HOST:PORT", server));
    endpoint.servers.emplace_back(server);
    servers = comma == std::string_view::npos ? std::string_view() : servers.substr(comma + 1);
    if (comma != std::string_view::npos && servers.empty()) return Bad(url, "empty server after ','");
  }
  if (endpoint.servers.empty()) return Bad(url, "no HOST:PORT");
  return endpoint;
}

std::string_view EngineName(BridgeEngine engine) { return engine == BridgeEngine::kKafka ? "kafka" : "nats"; }

}  // namespace evlog
