#include "apply/postgres/target_connection.h"

#include <poll.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "term/report.h"

namespace evlog::pg {
namespace {

using eventlog::Result;
using eventlog::Status;

constexpr char kCommand[] = "apply";
constexpr int kLongWaitMs = 1000;

std::vector<const char*> ParamPointers(const std::vector<TextParam>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const TextParam& p : params) values.push_back(p ? p->c_str() : nullptr);
  return values;
}

// Text parameters are NUL-terminated for libpq: a value holding a NUL would be cut short.
Status CheckNoNul(const std::vector<TextParam>& params) {
  for (size_t i = 0; i < params.size(); ++i) {
    if (params[i] && params[i]->find('\0') != std::string::npos) {
      return Status::InvalidArgument(
          fmt::format("parameter {} holds a NUL byte, which no PostgreSQL text value can hold", i + 1));
    }
  }
  return Status::Ok();
}

}  // namespace

const char TargetConnection::kSessionOptions[] =
    "-c synchronous_commit=on -c client_min_messages=warning -c TimeZone=UTC -c DateStyle=ISO "
    "-c extra_float_digits=3 -c bytea_output=hex -c IntervalStyle=postgres -c lc_monetary=C";

Result<std::unique_ptr<TargetConnection>> TargetConnection::Connect(const std::string& conninfo,
                                                                    const SignalPipe& signals) {
  Status error;
  PGconn* conn = ConnectWithSessionOptions(conninfo, kSessionOptions, /*replication=*/false, &error);
  if (conn == nullptr) return error.WithContext(DescribeConninfo(conninfo));
  return std::unique_ptr<TargetConnection>(new TargetConnection(conn, DescribeConninfo(conninfo), signals));
}

TargetConnection::~TargetConnection() { PQfinish(conn_); }

Status TargetConnection::SendFailed(std::string_view what) const { return LibpqError(conn_, what).WithContext(name_); }

Result<PgResultPtr> TargetConnection::Run(const std::string& sql, const std::vector<TextParam>& params,
                                          std::string_view what) {
  EVLOG_RETURN_IF_ERROR(CheckNoNul(params));
  const std::vector<const char*> values = ParamPointers(params);
  if (!PQsendQueryParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                         nullptr, 0)) {
    return SendFailed(what);
  }
  return Await(what);
}

Result<PgResultPtr> TargetConnection::RunPrepared(const std::string& sql, const std::vector<TextParam>& params,
                                                  std::string_view what) {
  EVLOG_RETURN_IF_ERROR(CheckNoNul(params));
  auto found = prepared_.find(sql);
  if (found == prepared_.end()) {
    // Prepared statements belong to the session, not the transaction: one that a rolled-
    // back run prepared stays prepared.
    std::string name = fmt::format("evlog_apply_{}", prepared_.size() + 1);
    if (!PQsendPrepare(conn_, name.c_str(), sql.c_str(), static_cast<int>(params.size()), nullptr)) {
      return SendFailed(what);
    }
    EVLOG_RETURN_IF_ERROR(Await(what).status());
    found = prepared_.emplace(sql, std::move(name)).first;
  }
  const std::vector<const char*> values = ParamPointers(params);
  if (!PQsendQueryPrepared(conn_, found->second.c_str(), static_cast<int>(values.size()), values.data(), nullptr,
                           nullptr, 0)) {
    return SendFailed(what);
  }
  return Await(what);
}

// Waits for the server and the signal pipe together: a termination signal cancels the
// statement, whose result is then the server's "canceling statement" error.
Result<PgResultPtr> TargetConnection::Await(std::string_view what) {
  bool cancelled = false;
  while (PQisBusy(conn_)) {
    pollfd fds[2] = {{PQsocket(conn_), POLLIN, 0}, {signals_.fd(), POLLIN, 0}};
    const int ready = poll(fds, 2, reported_wait_ ? -1 : kLongWaitMs);
    if (ready < 0) {
      if (errno == EINTR) continue;
      return Status::IOError(fmt::format("{}: {}: poll: {}", name_, what, std::strerror(errno)));
    }
    if (ready == 0) {
      PrintNote(kCommand, fmt::format("waiting for PostgreSQL ({}): a statement has taken over a second; "
                                       "another transaction may hold a lock it needs",
                                       name_));
      reported_wait_ = true;
      continue;
    }
    if (fds[1].revents != 0) signals_.Drain();
    if (signals_.termination() != 0 && !cancelled) {
      // Best effort: if the cancel request fails, the statement's own end is awaited.
      if (PGcancel* cancel = PQgetCancel(conn_)) {
        char error[256];
        (void)PQcancel(cancel, error, sizeof error);
        PQfreeCancel(cancel);
      }
      cancelled = true;
    }
    if (fds[0].revents != 0 && !PQconsumeInput(conn_)) return SendFailed(what);
  }
  // One statement gives one result; the loop also drains anything after it, so that the
  // connection is ready for the next, and keeps the first error.
  PgResultPtr kept;
  while (PGresult* raw = PQgetResult(conn_)) {
    PgResultPtr result(raw);
    const ExecStatusType status = PQresultStatus(raw);
    const bool failed = status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK;
    if (!kept || (failed && PQresultStatus(kept.get()) != PGRES_FATAL_ERROR)) kept = std::move(result);
  }
  if (!kept) return SendFailed(what);
  const ExecStatusType status = PQresultStatus(kept.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    std::string message = PQresultErrorMessage(kept.get());
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    const char* state = PQresultErrorField(kept.get(), PG_DIAG_SQLSTATE);
    return Status::IOError(
        fmt::format("{}: {}: {}{}", name_, what, message, state != nullptr ? fmt::format(" (SQLSTATE {})", state) : ""));
  }
  reported_wait_ = false;
  return kept;
}

void TargetConnection::RollbackIfOpen() {
  if (PQtransactionStatus(conn_) == PQTRANS_IDLE || PQstatus(conn_) != CONNECTION_OK) return;
  PgResultPtr ignored(PQexec(conn_, "ROLLBACK"));
}

}  // namespace evlog::pg
