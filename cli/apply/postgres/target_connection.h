// The libpq connection of `apply --to postgres`: statements with text parameters, each
// prepared once, and every wait for the server interruptible. A statement can wait for a
// lock another transaction holds for as long as that transaction lasts; SIGINT or SIGTERM
// then cancels it (PQcancel), so `apply` ends as the signal asks, its run rolled back. A
// wait of over a second is reported once, so that a blocked apply never waits silently.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "eventlog/status.h"
#include "postgres/libpq_connection.h"
#include "replay/signal_pipe.h"

namespace evlog::pg {

// A parameter in text form (the column type's input syntax), or SQL NULL.
using TextParam = std::optional<std::string>;

class TargetConnection {
 public:
  // The session settings of an apply connection: commits are durable when COMMIT returns
  // (the position that rides in them must not be lost while the log's copy says it
  // moved), NOTICEs are not printed, and texts are read the way capture writes them.
  static const char kSessionOptions[];

  static eventlog::Result<std::unique_ptr<TargetConnection>> Connect(const std::string& conninfo,
                                                                     const SignalPipe& signals);
  ~TargetConnection();
  TargetConnection(const TargetConnection&) = delete;
  TargetConnection& operator=(const TargetConnection&) = delete;

  // Runs one statement; kIOError naming `what`, with the server's message and SQLSTATE,
  // if it fails.
  eventlog::Result<PgResultPtr> Run(const std::string& sql, const std::vector<TextParam>& params,
                                    std::string_view what);
  // The same through a prepared statement, prepared on first use (parameter types are
  // inferred from where they stand: the column a value goes to or is compared with).
  eventlog::Result<PgResultPtr> RunPrepared(const std::string& sql, const std::vector<TextParam>& params,
                                            std::string_view what);
  // ROLLBACK if a transaction is open; errors are moot (the server rolls back on close).
  void RollbackIfOpen();

  // "host H port P dbname D", for messages.
  const std::string& name() const { return name_; }

 private:
  TargetConnection(PGconn* conn, std::string name, const SignalPipe& signals)
      : conn_(conn), name_(std::move(name)), signals_(signals) {}
  eventlog::Result<PgResultPtr> Await(std::string_view what);
  eventlog::Status SendFailed(std::string_view what) const;

  PGconn* conn_;
  std::string name_;
  const SignalPipe& signals_;
  bool reported_wait_ = false;
  std::unordered_map<std::string, std::string> prepared_;  // SQL -> statement name
};

}  // namespace evlog::pg
