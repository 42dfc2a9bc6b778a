#include "bridge/nats/nats_connection.h"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "bridge/secret_file.h"

namespace evlog {

using eventlog::Result;
using eventlog::Status;

namespace {

// Reconnection backs off from 100 ms to 2 s and never gives up: an outage is waited out.
constexpr int64_t kMinReconnectDelayMs = 100;
constexpr int64_t kMaxReconnectDelayMs = 2000;
// How long closing waits for libnats's last callback, which comes in microseconds.
constexpr auto kCloseWait = std::chrono::seconds(5);

int64_t ReconnectDelay(natsConnection*, int attempts, void*) {
  return std::min(kMaxReconnectDelayMs, kMinReconnectDelayMs << std::min(attempts, 5));
}

void OnConnected(natsConnection*, void*) {}

// A secret from its file, without the line end an editor adds. Never printed.
// A password or token from its file (secret_file.h); an empty one is a mistake, not a secret.
Result<std::string> ReadSecret(const std::string& path, std::string_view what) {
  EVLOG_ASSIGN_OR_RETURN(std::string secret, ReadSecretFile(path));
  if (secret.empty()) return Status::InvalidArgument(fmt::format("{}: the {} file is empty", path, what));
  return secret;
}

Status Check(natsStatus status, std::string_view what) {
  return status == NATS_OK ? Status::Ok() : NatsError(what, status);
}

Status ApplySecurity(natsOptions* o, const NatsOptions& options) {
  if (options.creds_file) {
    EVLOG_RETURN_IF_ERROR(Check(natsOptions_SetUserCredentialsFromFiles(o, options.creds_file->c_str(), nullptr),
                                *options.creds_file));
  }
  if (options.user) {
    EVLOG_ASSIGN_OR_RETURN(std::string password, ReadSecret(*options.password_file, "password"));
    EVLOG_RETURN_IF_ERROR(Check(natsOptions_SetUserInfo(o, options.user->c_str(), password.c_str()), "--nats-user"));
  }
  if (options.token_file) {
    EVLOG_ASSIGN_OR_RETURN(std::string token, ReadSecret(*options.token_file, "token"));
    EVLOG_RETURN_IF_ERROR(Check(natsOptions_SetToken(o, token.c_str()), "--nats-token-file"));
  }
  if (options.tls || options.tls_ca || options.tls_cert)
    EVLOG_RETURN_IF_ERROR(Check(natsOptions_SetSecure(o, true), "--tls"));
  if (options.tls_ca)
    EVLOG_RETURN_IF_ERROR(Check(natsOptions_LoadCATrustedCertificates(o, options.tls_ca->c_str()), *options.tls_ca));
  if (options.tls_cert) {
    EVLOG_RETURN_IF_ERROR(Check(
        natsOptions_LoadCertificatesChain(o, options.tls_cert->c_str(), options.tls_key->c_str()), *options.tls_cert));
  }
  return Status::Ok();
}

// The first name in a STREAM.NAMES reply: {"...","streams":["ORDERS"]} or "streams":null.
Result<std::string> FirstStreamName(std::string_view reply) {
  if (reply.find("\"error\"") != std::string_view::npos)
    return Status::Failed(fmt::format("JetStream refused the stream lookup: {}", reply));
  const std::string_view marker = "\"streams\":[\"";
  const size_t at = reply.find(marker);
  if (at == std::string_view::npos) return std::string();
  const size_t begin = at + marker.size();
  const size_t end = reply.find('"', begin);
  if (end == std::string_view::npos) return Status::Failed(fmt::format("JetStream's stream lookup: {}", reply));
  return std::string(reply.substr(begin, end - begin));
}

}  // namespace

Status NatsError(std::string_view what, natsStatus status) {
  natsStatus last_status = NATS_OK;
  const char* last = nats_GetLastError(&last_status);
  std::string text = natsStatus_GetText(status);
  if (last && *last && last_status == status && text != last) text = fmt::format("{} ({})", text, last);
  return Status::Failed(fmt::format("{}: {}", what, text));
}

void NatsConnection::OnDisconnected(natsConnection*, void* closure) {
  static_cast<CallbackState*>(closure)->disconnects.fetch_add(1);
}

void NatsConnection::OnClosed(natsConnection*, void* closure) {
  auto* state = static_cast<CallbackState*>(closure);
  std::lock_guard lock(state->mutex);
  state->closed = true;
  state->changed.notify_all();
}

Result<std::unique_ptr<NatsConnection>> NatsConnection::Open(const Endpoint& endpoint, const NatsOptions& options,
                                                             NatsReconnect reconnect) {
  std::unique_ptr<NatsConnection> c(new NatsConnection());
  c->remote_ = endpoint.text;
  natsOptions* raw = nullptr;
  EVLOG_RETURN_IF_ERROR(Check(natsOptions_Create(&raw), "libnats options"));
  c->options_.reset(raw);
  std::vector<std::string> urls;
  for (const std::string& server : endpoint.servers) urls.push_back("nats://" + server);
  std::vector<const char*> servers;
  for (const std::string& url : urls) servers.push_back(url.c_str());
  natsOptions* o = c->options_.get();
  EVLOG_RETURN_IF_ERROR(Check(natsOptions_SetServers(o, servers.data(), static_cast<int>(servers.size())), endpoint.text));
  EVLOG_RETURN_IF_ERROR(Check(natsOptions_SetNoRandomize(o, true), "libnats options"));
  EVLOG_RETURN_IF_ERROR(Check(natsOptions_SetMaxReconnect(o, -1), "libnats options"));
  EVLOG_RETURN_IF_ERROR(Check(natsOptions_SetCustomReconnectDelay(o, ReconnectDelay, nullptr), "libnats options"));
  EVLOG_RETURN_IF_ERROR(c->SetCallbacks());
  // What libnats buffers while it reconnects is kept to one message (NatsReconnect).
  EVLOG_RETURN_IF_ERROR(Check(natsOptions_SetReconnectBufSize(o, 1), "libnats options"));
  if (reconnect == NatsReconnect::kByCaller) {
    // The first connection is still waited for in the background (Connect): nothing is
    // published before it is up. Only a connection that was up is not made again.
    EVLOG_RETURN_IF_ERROR(Check(natsOptions_SetAllowReconnect(o, false), "libnats options"));
  }
  EVLOG_RETURN_IF_ERROR(ApplySecurity(o, options));
  EVLOG_RETURN_IF_ERROR(c->Connect());
  return c;
}

Status NatsConnection::Connect() {
  natsConnection* connection = nullptr;
  // First one attempt in the foreground: a server that answers but refuses the credentials
  // says so now, and waiting would never cure that. Only a server that does not answer is
  // waited for, by libnats in the background.
  natsOptions* o = options_.get();
  EVLOG_RETURN_IF_ERROR(Check(natsOptions_SetRetryOnFailedConnect(o, false, nullptr, nullptr), "libnats options"));
  natsStatus connected = natsConnection_Connect(&connection, o);
  if (connected == NATS_NOT_PERMITTED || connected == NATS_CONNECTION_AUTH_FAILED) {
    return Status::Failed(fmt::format("{}: the server refused the connection ({}); check --nats-creds, --nats-user "
                                      "with --nats-password-file, or --nats-token-file",
                                      remote_, natsStatus_GetText(connected)));
  }
  if (connected != NATS_OK) {
    EVLOG_RETURN_IF_ERROR(Check(natsOptions_SetRetryOnFailedConnect(o, true, OnConnected, nullptr), "libnats options"));
    connected = natsConnection_Connect(&connection, o);
  }
  if (connected != NATS_OK && connected != NATS_NOT_YET_CONNECTED) return NatsError(remote_, connected);
  connection_.reset(connection);
  return Status::Ok();
}

Status NatsConnection::SetCallbacks() {
  natsOptions* o = options_.get();
  EVLOG_RETURN_IF_ERROR(Check(natsOptions_SetDisconnectedCB(o, OnDisconnected, callbacks_.get()), "libnats options"));
  return Check(natsOptions_SetClosedCB(o, OnClosed, callbacks_.get()), "libnats options");
}

bool NatsConnection::lost() const {
  return natsConnection_Status(connection_.get()) == NATS_CONN_STATUS_CLOSED;
}

Status NatsConnection::Reopen() {
  js_.reset();
  Close();
  return Connect();
}

Status NatsConnection::CredentialsRefused(std::string_view remote) const {
  const char* text = nullptr;
  const natsStatus last = natsConnection_GetLastError(connection_.get(), &text);
  if (last != NATS_NOT_PERMITTED && last != NATS_CONNECTION_AUTH_FAILED) return Status::Ok();
  return Status::Failed(fmt::format("{}: the server refused the connection ({}); check --nats-creds, --nats-user "
                                    "with --nats-password-file, or --nats-token-file",
                                    remote, text != nullptr && *text != '\0' ? text : natsStatus_GetText(last)));
}

NatsConnection::~NatsConnection() {
  js_.reset();
  Close();
}

void NatsConnection::Close() {
  if (!connection_) return;
  natsConnection_Close(connection_.get());
  // libnats runs the callbacks in the order posted, "closed" last (also when libnats closed
  // the connection itself, before this call): once it has run, none touches callbacks_
  // again. Should it not come, the state is left allocated rather than freed under a
  // callback still to come, and the next connection gets a state of its own.
  std::unique_lock lock(callbacks_->mutex);
  if (callbacks_->changed.wait_for(lock, kCloseWait, [&] { return callbacks_->closed; })) {
    callbacks_->closed = false;
    lock.unlock();
  } else {
    lock.unlock();
    auto fresh = std::make_unique<CallbackState>();
    fresh->disconnects.store(callbacks_->disconnects.load());
    static_cast<void>(callbacks_.release());
    callbacks_ = std::move(fresh);
    static_cast<void>(SetCallbacks());  // cannot fail: the options exist and the handlers are set
  }
  connection_.reset();
}

Result<jsCtx*> NatsConnection::JetStream(jsOptions* options) {
  if (!js_) {
    jsCtx* js = nullptr;
    EVLOG_RETURN_IF_ERROR(Check(natsConnection_JetStream(&js, connection_.get(), options), "JetStream context"));
    js_.reset(js);
  }
  return js_.get();
}

bool NatsConnection::connected() const {
  return natsConnection_Status(connection_.get()) == NATS_CONN_STATUS_CONNECTED;
}

Result<std::string> NatsConnection::StreamForSubject(const std::string& subject, int64_t timeout_ms) const {
  std::string request = "{\"subject\":\"";
  for (char c : subject) {
    if (c == '"' || c == '\\') request += '\\';
    request += c;
  }
  request += "\"}";
  natsMsg* reply = nullptr;
  const natsStatus status =
      natsConnection_RequestString(&reply, connection_.get(), "$JS.API.STREAM.NAMES", request.c_str(), timeout_ms);
  NatsPtr<natsMsg> owned(reply);
  if (status != NATS_OK) return NatsError("JetStream stream lookup", status);
  return FirstStreamName(std::string_view(natsMsg_GetData(reply), natsMsg_GetDataLength(reply)));
}

}  // namespace evlog
