// Grouping pgoutput messages into transactions (cli/capture/postgres/transaction_assembler.h).
#include <doctest/doctest.h>

#include "capture/postgres/transaction_assembler.h"

using namespace evlog::pg;

namespace {

PgRelation Items(int columns = 2) {
  PgRelation relation;
  relation.id = 16385;
  relation.schema = "public";
  relation.name = "items";
  relation.columns.push_back({true, "id", 23, -1});
  if (columns > 1) relation.columns.push_back({false, "name", 25, -1});
  return relation;
}

PgTuple Row(std::initializer_list<const char*> texts) {
  PgTuple row;
  for (const char* text : texts) row.push_back({PgValue::Kind::kText, text});
  return row;
}

// Adds a message that must not complete a transaction.
void Feed(TransactionAssembler& assembler, PgoutputMessage message) {
  auto added = assembler.Add(std::move(message));
  REQUIRE_MESSAGE(added.has_value(), added.status().message());
  REQUIRE_FALSE(added->has_value());
}

std::string Refusal(TransactionAssembler& assembler, PgoutputMessage message) {
  auto added = assembler.Add(std::move(message));
  REQUIRE_FALSE(added.has_value());
  CHECK(added.error().code() == eventlog::StatusCode::kCorruption);
  return added.error().message();
}

}  // namespace

TEST_CASE("Begin, changes and Commit make one transaction with the commit's LSNs and time") {
  TransactionAssembler assembler;
  Feed(assembler, Items());
  Feed(assembler, PgBegin{0x500, 111, 731});
  CHECK(assembler.in_transaction());
  Feed(assembler, PgInsert{16385, Row({"1", "a"})});
  Feed(assembler, PgUpdate{16385, PgOldRow::kKey, Row({"1", "a"}), Row({"2", "b"})});
  Feed(assembler, PgDelete{16385, PgOldRow::kKey, Row({"2", "b"})});
  Feed(assembler, PgTruncate{PgTruncate::kCascade, {16385}});
  auto done = assembler.Add(PgCommit{0, 0x500, 0x530, 222});
  REQUIRE(done.has_value());
  REQUIRE(done->has_value());
  const Transaction& txn = **done;
  CHECK_FALSE(assembler.in_transaction());
  CHECK(txn.xid == 731);
  CHECK(txn.commit_lsn == 0x500);
  CHECK(txn.end_lsn == 0x530);
  CHECK(txn.commit_time == 222);
  REQUIRE(txn.changes.size() == 4);
  CHECK(txn.changes[0].op == RowChange::Op::kInsert);
  CHECK(txn.changes[0].relation->name == "items");
  CHECK(txn.changes[0].new_row[1].text == "a");
  CHECK(txn.changes[1].op == RowChange::Op::kUpdate);
  CHECK(txn.changes[1].old_row[0].text == "1");
  CHECK(txn.changes[1].new_row[0].text == "2");
  CHECK(txn.changes[2].op == RowChange::Op::kDelete);
  CHECK(txn.changes[2].old_kind == PgOldRow::kKey);
  CHECK(txn.changes[3].op == RowChange::Op::kTruncate);
  CHECK(txn.changes[3].truncated.size() == 1);
  CHECK(txn.changes[3].truncate_options == PgTruncate::kCascade);
}

TEST_CASE("A changed relation applies to later rows, and earlier rows keep the old definition") {
  TransactionAssembler assembler;
  Feed(assembler, Items(1));
  Feed(assembler, PgBegin{0x10, 1, 1});
  Feed(assembler, PgInsert{16385, Row({"1"})});
  Feed(assembler, Items(2));
  Feed(assembler, PgInsert{16385, Row({"2", "b"})});
  auto done = assembler.Add(PgCommit{0, 0x10, 0x20, 1});
  REQUIRE(done.has_value());
  const Transaction& txn = **done;
  CHECK(txn.changes[0].relation->columns.size() == 1);
  CHECK(txn.changes[1].relation->columns.size() == 2);
}

TEST_CASE("Streams that break the protocol's order are refused") {
  TransactionAssembler assembler;
  Feed(assembler, Items());
  SUBCASE("a change outside a transaction") {
    CHECK(Refusal(assembler, PgInsert{16385, Row({"1", "a"})}).find("outside a transaction") != std::string::npos);
  }
  SUBCASE("a commit without begin") {
    CHECK(Refusal(assembler, PgCommit{0, 1, 2, 3}).find("without Begin") != std::string::npos);
  }
  SUBCASE("a begin inside a transaction") {
    Feed(assembler, PgBegin{0x10, 1, 1});
    CHECK(Refusal(assembler, PgBegin{0x20, 1, 2}).find("inside xid 1") != std::string::npos);
  }
  SUBCASE("a commit at another LSN than the begin announced") {
    Feed(assembler, PgBegin{0x10, 1, 1});
    CHECK(Refusal(assembler, PgCommit{0, 0x11, 0x20, 1}).find("commits at 11") != std::string::npos);
  }
  SUBCASE("an unknown relation") {
    Feed(assembler, PgBegin{0x10, 1, 1});
    CHECK(Refusal(assembler, PgInsert{99, Row({"1", "a"})}).find("relation 99") != std::string::npos);
    CHECK(Refusal(assembler, PgTruncate{0, {16385, 99}}).find("relation 99") != std::string::npos);
  }
  SUBCASE("a row with the wrong number of values") {
    Feed(assembler, PgBegin{0x10, 1, 1});
    CHECK(Refusal(assembler, PgInsert{16385, Row({"1"})}).find("1 values") != std::string::npos);
    CHECK(Refusal(assembler, PgUpdate{16385, PgOldRow::kKey, Row({"1"}), Row({"1", "a"})}).find("1 values") !=
          std::string::npos);
  }
}
