// The replication client against a real server (run by pg_stream.sh, which starts one with
// pg_lib.sh and exports PG_CONNINFO): a workload of committed and rolled-back transactions
// streams back as exactly the committed ones, whole, in commit order, with the server's
// values as text, and the slot's confirmed position follows what we report as flushed.
#include <doctest/doctest.h>
#include <libpq-fe.h>

#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "capture/postgres/logical_stream.h"
#include "capture/postgres/replication_messages.h"

using namespace evlog::pg;

namespace {

std::string Conninfo() {
  const char* conninfo = std::getenv("PG_CONNINFO");
  REQUIRE_MESSAGE(conninfo != nullptr, "PG_CONNINFO is not set (run through pg_stream.sh)");
  return conninfo;
}

// An ordinary SQL session for the workload.
class Sql {
 public:
  Sql() : conn_(PQconnectdb(Conninfo().c_str())) { REQUIRE(PQstatus(conn_) == CONNECTION_OK); }
  ~Sql() { PQfinish(conn_); }
  // Runs `sql` and returns the first column of the first row ("" if none).
  std::string Run(const std::string& sql) {
    PGresult* result = PQexec(conn_, sql.c_str());
    const ExecStatusType status = PQresultStatus(result);
    const std::string error = PQresultErrorMessage(result);
    std::string value = status == PGRES_TUPLES_OK && PQntuples(result) > 0 ? PQgetvalue(result, 0, 0) : "";
    PQclear(result);
    REQUIRE_MESSAGE((status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK), sql, ": ", error);
    return value;
  }
  Lsn InsertLsn() { return *ParseLsn(Run("SELECT pg_current_wal_insert_lsn()")); }

 private:
  PGconn* conn_;
};

// What a test expects of one transaction, written as text: "c items 1|one|..." per change.
struct Expected {
  Lsn before = 0;  // the WAL insert position before the transaction began
  Lsn after = 0;   // and after it committed
  uint32_t xid = 0;
  std::vector<std::string> changes;
};

std::string Text(const PgTuple& row) {
  std::string out;
  for (const PgValue& value : row) {
    if (!out.empty()) out += '|';
    if (value.kind == PgValue::Kind::kNull) out += "<null>";
    else if (value.kind == PgValue::Kind::kUnchangedToast) out += "<unchanged>";
    else out += value.text.size() > 40 ? "<" + std::to_string(value.text.size()) + " bytes>" : value.text;
  }
  return out;
}

std::string Describe(const RowChange& change) {
  std::string line = std::string(1, static_cast<char>(change.op)) + " " + change.relation->name;
  if (change.op == RowChange::Op::kTruncate) return line + " options " + std::to_string(change.truncate_options);
  if (change.old_kind != PgOldRow::kNone)
    line += " old(" + std::string(1, static_cast<char>(change.old_kind)) + ") " + Text(change.old_row);
  if (!change.new_row.empty()) line += " new " + Text(change.new_row);
  return line;
}

// Runs `statements` as one transaction, recording its xid and the WAL around it.
Expected Transact(Sql& sql, const std::vector<std::string>& statements, std::vector<std::string> changes) {
  Expected expected;
  expected.before = sql.InsertLsn();
  sql.Run("BEGIN");
  expected.xid = static_cast<uint32_t>(std::stoull(sql.Run("SELECT pg_current_xact_id()::text")) & 0xffffffffu);
  for (const std::string& statement : statements) sql.Run(statement);
  sql.Run("COMMIT");
  expected.after = sql.InsertLsn();
  expected.changes = std::move(changes);
  return expected;
}

}  // namespace

TEST_CASE("Committed transactions stream back whole, in commit order, with their values and LSNs") {
  Sql sql;
  sql.Run("CREATE TABLE items (id int PRIMARY KEY, name text, price numeric(10,2), data bytea, doc jsonb, "
          "at timestamptz)");
  // Out-of-line and uncompressed, so a large value is TOASTed and an update that leaves it
  // alone sends it as unchanged.
  sql.Run("ALTER TABLE items ALTER COLUMN data SET STORAGE EXTERNAL");
  sql.Run("CREATE TABLE other (k text PRIMARY KEY)");
  sql.Run("CREATE PUBLICATION evlog_pub FOR TABLE items, other");

  auto connected = ReplicationConnection::Connect(Conninfo());
  REQUIRE_MESSAGE(connected.has_value(), connected.status().message());
  ReplicationConnection& replication = **connected;
  auto identity = replication.IdentifySystem();
  REQUIRE_MESSAGE(identity.has_value(), identity.status().message());
  CHECK(identity->database == "postgres");
  CHECK_FALSE(identity->system_id.empty());
  auto slot = replication.CreateLogicalSlot("evlog_test", false);
  REQUIRE_MESSAGE(slot.has_value(), slot.status().message());
  CHECK(slot->name == "evlog_test");
  CHECK(slot->consistent_point >= identity->wal_flush);

  std::vector<Expected> expected;
  expected.push_back(Transact(sql,
      {"INSERT INTO items VALUES "
       "(1, 'one', 12.5, '\\x00ff10', '{\"b\": [1, 2], \"a\": null}', '2026-01-02 03:04:05.123456+00'), "
       "(2, 'héllo, \"world\"', NULL, NULL, NULL, NULL), "
       "(3, '', -0.01, decode(repeat('ab', 3000), 'hex'), '[]', '1999-12-31 23:59:59+00')"},
      {"c items new 1|one|12.50|\\x00ff10|{\"a\": null, \"b\": [1, 2]}|2026-01-02 03:04:05.123456+00",
       "c items new 2|héllo, \"world\"|<null>|<null>|<null>|<null>",
       "c items new 3||-0.01|<6002 bytes>|[]|1999-12-31 23:59:59+00"}));
  // Rolled back: pgoutput never sends it.
  sql.Run("BEGIN");
  sql.Run("INSERT INTO items (id, name) VALUES (99, 'rolled back')");
  sql.Run("ROLLBACK");
  expected.push_back(Transact(sql,
      {"UPDATE items SET price = 7.25 WHERE id = 3", "UPDATE items SET id = 20 WHERE id = 2",
       "DELETE FROM items WHERE id = 1", "INSERT INTO other VALUES ('k1')"},
      {"u items new 3||7.25|<unchanged>|[]|1999-12-31 23:59:59+00",
       "u items old(K) 2|<null>|<null>|<null>|<null>|<null> new 20|héllo, \"world\"|<null>|<null>|<null>|<null>",
       "d items old(K) 1|<null>|<null>|<null>|<null>|<null>", "c other new k1"}));
  expected.push_back(Transact(sql, {"TRUNCATE items, other RESTART IDENTITY"}, {"t items options 2"}));

  REQUIRE(replication.StartLogical("evlog_test", 0, {"evlog_pub"}).ok());
  LogicalStream stream(replication);
  std::vector<Transaction> received;
  for (int waits = 0; received.size() < expected.size() && waits < 60; waits++) {
    auto next = stream.Next(0, 1000);
    REQUIRE_MESSAGE(next.has_value(), next.status().message());
    if (*next) received.push_back(std::move(**next));
  }
  REQUIRE(received.size() == expected.size());

  for (size_t i = 0; i < expected.size(); i++) {
    CAPTURE(i);
    const Transaction& txn = received[i];
    CHECK(txn.xid == expected[i].xid);
    CHECK(txn.commit_lsn > expected[i].before);
    CHECK(txn.commit_lsn < expected[i].after);
    CHECK(txn.end_lsn > txn.commit_lsn);
    CHECK(txn.end_lsn <= expected[i].after);
    if (i > 0) CHECK(txn.commit_lsn >= received[i - 1].end_lsn);
    std::vector<std::string> changes;
    for (const RowChange& change : txn.changes) changes.push_back(Describe(change));
    REQUIRE(changes.size() == expected[i].changes.size());
    for (size_t j = 0; j < changes.size(); j++) CHECK(changes[j] == expected[i].changes[j]);
  }
  REQUIRE(received[2].changes.size() == 1);
  CHECK(received[2].changes[0].truncated.size() == 2);
  CHECK(received[2].changes[0].truncated[1]->name == "other");

  // What we report as flushed becomes the slot's confirmed position, which is where a
  // restart resumes: nothing up to it is sent again.
  const Lsn flushed = received.back().end_lsn;
  std::string confirmed;
  for (int waits = 0; waits < 300 && confirmed != FormatLsn(flushed); waits++) {
    auto next = stream.Next(flushed, 100);
    REQUIRE_MESSAGE(next.has_value(), next.status().message());
    CHECK_FALSE(next->has_value());
    confirmed = sql.Run("SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = 'evlog_test'");
  }
  CHECK(confirmed == FormatLsn(flushed));

  // A new connection starting at the slot's position (0) resumes after what was reported
  // flushed: the first transaction it sends is the one committed since, nothing older.
  connected->reset();
  const Expected later = Transact(sql, {"INSERT INTO other VALUES ('later')"}, {"c other new later"});
  std::unique_ptr<ReplicationConnection> resumed;
  // The old walsender may hold the slot until it notices the closed connection.
  for (int attempts = 0; attempts < 300 && resumed == nullptr; attempts++) {
    auto again = ReplicationConnection::Connect(Conninfo());
    REQUIRE_MESSAGE(again.has_value(), again.status().message());
    if ((*again)->StartLogical("evlog_test", 0, {"evlog_pub"}).ok()) resumed = std::move(*again);
    else usleep(100'000);
  }
  REQUIRE(resumed != nullptr);
  LogicalStream resumed_stream(*resumed);
  std::optional<Transaction> first;
  for (int waits = 0; waits < 60 && !first; waits++) {
    auto next = resumed_stream.Next(flushed, 1000);
    REQUIRE_MESSAGE(next.has_value(), next.status().message());
    first = std::move(*next);
  }
  REQUIRE(first.has_value());
  CHECK(first->xid == later.xid);
  CHECK(first->commit_lsn > flushed);
  REQUIRE(first->changes.size() == 1);
  CHECK(Describe(first->changes[0]) == later.changes[0]);
}
