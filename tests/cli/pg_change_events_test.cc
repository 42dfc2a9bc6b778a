// PostgreSQL values and change events as JSON (format-spec/change-events.md §C7;
// cli/capture/postgres/pg_value.h, change_events.h).
#include <doctest/doctest.h>

#include "capture/postgres/change_events.h"
#include "capture/postgres/pg_value.h"

using namespace evlog::pg;

namespace {

std::string Json(uint32_t oid, const char* text) {
  std::string out;
  AppendPgValue(&out, oid, {PgValue::Kind::kText, text});
  return out;
}

constexpr uint32_t kText = 25, kNumeric = 1700, kJsonb = 3802, kTimestamp = 1114, kDate = 1082, kUuid = 2950;

}  // namespace

TEST_CASE("integers and booleans become JSON literals, exactly") {
  CHECK(Json(type_oid::kInt2, "-32768") == "-32768");
  CHECK(Json(type_oid::kInt4, "42") == "42");
  CHECK(Json(type_oid::kInt8, "9223372036854775807") == "9223372036854775807");
  CHECK(Json(type_oid::kInt8, "-9223372036854775808") == "-9223372036854775808");
  CHECK(Json(type_oid::kOid, "4294967295") == "4294967295");
  CHECK(Json(type_oid::kBool, "t") == "true");
  CHECK(Json(type_oid::kBool, "f") == "false");
  // Text an integer type never prints stays text rather than becoming invalid JSON.
  CHECK(Json(type_oid::kInt4, "12abc") == R"("12abc")");
}

TEST_CASE("floats take §C1.1's REAL form, NaN and infinities as $real") {
  CHECK(Json(type_oid::kFloat8, "1.5") == "1.5");
  CHECK(Json(type_oid::kFloat8, "3") == "3.0");
  CHECK(Json(type_oid::kFloat8, "-0") == "-0.0");
  CHECK(Json(type_oid::kFloat8, "1e+300") == "1e+300");
  CHECK(Json(type_oid::kFloat8, "0.1") == "0.1");
  CHECK(Json(type_oid::kFloat8, "Infinity") == R"({"$real":"Infinity"})");
  CHECK(Json(type_oid::kFloat8, "-Infinity") == R"({"$real":"-Infinity"})");
  CHECK(Json(type_oid::kFloat8, "NaN") == R"({"$real":"NaN"})");
  // float4: the shortest decimal of the binary32, not of its widening to binary64.
  CHECK(Json(type_oid::kFloat4, "0.1") == "0.1");
  CHECK(Json(type_oid::kFloat4, "-0") == "-0.0");
  CHECK(Json(type_oid::kFloat4, "NaN") == R"({"$real":"NaN"})");
}

TEST_CASE("numeric, json, uuid, dates and text stay PostgreSQL's text") {
  CHECK(Json(kNumeric, "123456789012345678901234567890.000001") == R"("123456789012345678901234567890.000001")");
  CHECK(Json(kNumeric, "NaN") == R"("NaN")");
  CHECK(Json(kJsonb, R"({"a": 1})") == R"("{\"a\": 1}")");
  CHECK(Json(kUuid, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11") == R"("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")");
  CHECK(Json(kTimestamp, "2024-02-29 23:59:59.5") == R"("2024-02-29 23:59:59.5")");
  CHECK(Json(kDate, "2024-02-29") == R"("2024-02-29")");
  CHECK(Json(kText, "caf\xc3\xa9 \"q\"\n") == "\"caf\xc3\xa9 \\\"q\\\"\\n\"");
  CHECK(Json(kText, "\xff\xfe") == R"({"$text_base64":"//4="})");
}

TEST_CASE("bytea's hex output becomes $blob_base64") {
  CHECK(Json(type_oid::kBytea, "\\x") == R"({"$blob_base64":""})");
  CHECK(Json(type_oid::kBytea, "\\x00ff10") == R"({"$blob_base64":"AP8Q"})");
  CHECK(Json(type_oid::kBytea, "\\xDEADbeef") == R"({"$blob_base64":"3q2+7w=="})");
  CHECK(Json(type_oid::kBytea, "\\x0") == R"("\\x0")");  // not hex output: kept as text
}

TEST_CASE("timestamptz becomes RFC 3339 in UTC with PostgreSQL's fraction") {
  CHECK(Json(type_oid::kTimestampTz, "2024-01-02 03:04:05+00") == R"("2024-01-02T03:04:05Z")");
  CHECK(Json(type_oid::kTimestampTz, "2024-01-02 03:04:05.123456+00") == R"("2024-01-02T03:04:05.123456Z")");
  CHECK(Json(type_oid::kTimestampTz, "2024-01-02 03:04:05.1+00") == R"("2024-01-02T03:04:05.1Z")");
  CHECK(Json(type_oid::kTimestampTz, "infinity") == R"("infinity")");
  CHECK(Json(type_oid::kTimestampTz, "0044-03-15 12:00:00+00 BC") == R"("0044-03-15 12:00:00+00 BC")");
  CHECK(Json(type_oid::kTimestampTz, "2024-01-02 03:04:05+02") == R"("2024-01-02 03:04:05+02")");
}

TEST_CASE("NULL and an unchanged TOASTed column") {
  std::string out;
  AppendPgValue(&out, type_oid::kInt4, {PgValue::Kind::kNull, ""});
  CHECK(out == "null");
  out.clear();
  AppendPgValue(&out, kText, {PgValue::Kind::kUnchangedToast, ""});
  CHECK(out == R"({"$unchanged_toast":true})");
}

TEST_CASE("commit times as RFC 3339 with microseconds") {
  CHECK(PgTimestampToRfc3339(0) == "2000-01-01T00:00:00.000000Z");
  CHECK(PgTimestampToRfc3339(-1) == "1999-12-31T23:59:59.999999Z");
  CHECK(PgTimestampToRfc3339(86400LL * 1000000 + 7) == "2000-01-02T00:00:00.000007Z");
}

namespace {

PgValue T(const char* text) { return {PgValue::Kind::kText, text}; }
PgValue Null() { return {PgValue::Kind::kNull, ""}; }

std::shared_ptr<const PgRelation> Accounts() {
  auto relation = std::make_shared<PgRelation>();
  relation->id = 1;
  relation->schema = "shop";
  relation->name = "accounts";
  relation->columns = {{true, "id", type_oid::kInt4, -1}, {false, "note", 25, -1}, {false, "ok", type_oid::kBool, -1}};
  return relation;
}

Transaction Txn() {
  Transaction txn;
  txn.xid = 771;
  txn.commit_lsn = 0x100000028;
  txn.end_lsn = 0x100000058;
  txn.commit_time = 1500;  // 2000-01-01T00:00:00.001500Z
  return txn;
}

const std::string kSource = R"(,"ts_ms":946684800001,"source":{"connector":"postgres","source_id":"7301/db","xid":771,"lsn":"1/28","commit_time":"2000-01-01T00:00:00.001500Z"}})";

std::vector<std::pair<std::string, std::string>> Headers(const char* op, const char* table) {
  return {{"evlog.op", op}, {"evlog.table", table}, {"evlog.source_id", "7301/db"}, {"evlog.xid", "771"},
          {"evlog.lsn", "1/28"}};
}

}  // namespace

TEST_CASE("insert: key from the row, before null, headers in order") {
  RowChange change;
  change.op = RowChange::Op::kInsert;
  change.relation = Accounts();
  change.new_row = {T("7"), T("hi"), T("t")};
  auto events = ChangeEvents(Txn(), change, "7301/db");
  REQUIRE(events.size() == 1);
  CHECK(events[0].key == R"(["shop.accounts",7])");
  CHECK(events[0].payload ==
        R"({"op":"c","table":"shop.accounts","key":{"id":7},"before":null,"after":{"id":7,"note":"hi","ok":true})" +
            kSource);
  CHECK(events[0].headers == Headers("c", "shop.accounts"));
}

TEST_CASE("update that changed the key: a delete of the old key, then the update, whose before holds the old key") {
  RowChange change;
  change.op = RowChange::Op::kUpdate;
  change.relation = Accounts();
  change.old_kind = PgOldRow::kKey;
  change.old_row = {T("7"), Null(), Null()};
  change.new_row = {T("8"), {PgValue::Kind::kUnchangedToast, ""}, T("f")};
  auto events = ChangeEvents(Txn(), change, "7301/db");
  REQUIRE(events.size() == 2);
  // Keyed by the old key, so that key compaction keeps this, not an older change of row 7.
  CHECK(events[0].key == R"(["shop.accounts",7])");
  CHECK(events[0].payload ==
        R"({"op":"d","table":"shop.accounts","key":{"id":7},"before":{"id":7},"after":null)" + kSource);
  auto removal_headers = Headers("d", "shop.accounts");
  removal_headers.emplace_back("evlog.new_key", R"(["shop.accounts",8])");
  CHECK(events[0].headers == removal_headers);
  CHECK(events[1].key == R"(["shop.accounts",8])");
  CHECK(events[1].payload ==
        R"({"op":"u","table":"shop.accounts","key":{"id":8},"before":{"id":7},"after":{"id":8,"note":{"$unchanged_toast":true},"ok":false})" +
            kSource);
  CHECK(events[1].headers == Headers("u", "shop.accounts"));
}

TEST_CASE("under REPLICA IDENTITY FULL an update is split only when its key values differ") {
  RowChange change;
  change.op = RowChange::Op::kUpdate;
  change.relation = Accounts();
  change.old_kind = PgOldRow::kFull;
  change.old_row = {T("7"), T("a"), T("t")};
  change.new_row = {T("7"), T("b"), T("t")};
  CHECK(ChangeEvents(Txn(), change, "7301/db").size() == 1);
  change.new_row = {T("9"), T("a"), T("t")};
  auto events = ChangeEvents(Txn(), change, "7301/db");
  REQUIRE(events.size() == 2);
  CHECK(events[0].payload ==
        R"({"op":"d","table":"shop.accounts","key":{"id":7},"before":{"id":7,"note":"a","ok":true},"after":null)" +
            kSource);
  CHECK(events[1].key == R"(["shop.accounts",9])");
}

TEST_CASE("update keeping the key: before is null; under REPLICA IDENTITY FULL, the whole old row") {
  RowChange change;
  change.op = RowChange::Op::kUpdate;
  change.relation = Accounts();
  change.new_row = {T("7"), T("b"), T("t")};
  CHECK(ChangeEvents(Txn(), change, "7301/db")[0].payload.find(R"("before":null,)") != std::string::npos);
  change.old_kind = PgOldRow::kFull;
  change.old_row = {T("7"), T("a"), Null()};
  CHECK(ChangeEvents(Txn(), change, "7301/db")[0].payload.find(R"("before":{"id":7,"note":"a","ok":null},)") !=
        std::string::npos);
}

TEST_CASE("delete: key and before from the old key tuple, after null") {
  RowChange change;
  change.op = RowChange::Op::kDelete;
  change.relation = Accounts();
  change.old_kind = PgOldRow::kKey;
  change.old_row = {T("9"), Null(), Null()};
  auto events = ChangeEvents(Txn(), change, "7301/db");
  REQUIRE(events.size() == 1);
  CHECK(events[0].key == R"(["shop.accounts",9])");
  CHECK(events[0].payload ==
        R"({"op":"d","table":"shop.accounts","key":{"id":9},"before":{"id":9},"after":null)" + kSource);
  CHECK(events[0].headers == Headers("d", "shop.accounts"));
}

TEST_CASE("truncate: one event per table, key, before and after null") {
  auto other = std::make_shared<PgRelation>(*Accounts());
  other->name = "orders";
  RowChange change;
  change.op = RowChange::Op::kTruncate;
  change.relation = Accounts();
  change.truncated = {Accounts(), other};
  auto events = ChangeEvents(Txn(), change, "7301/db");
  REQUIRE(events.size() == 2);
  CHECK(events[0].key == R"(["shop.accounts"])");
  CHECK(events[1].key == R"(["shop.orders"])");
  CHECK(events[1].payload == R"({"op":"t","table":"shop.orders","key":null,"before":null,"after":null)" + kSource);
  CHECK(events[1].headers == Headers("t", "shop.orders"));
}

TEST_CASE("a table without key columns: its row changes have no event key, a truncate keeps its own") {
  auto keyless = std::make_shared<PgRelation>(*Accounts());
  keyless->name = "applog";
  for (auto& column : keyless->columns) column.key = false;
  RowChange change;
  change.op = RowChange::Op::kInsert;
  change.relation = keyless;
  change.new_row = {T("7"), T("hi"), T("t")};
  auto events = ChangeEvents(Txn(), change, "7301/db");
  REQUIRE(events.size() == 1);
  // One key for every row would let key compaction keep only the table's last change.
  CHECK_FALSE(events[0].key.has_value());
  CHECK(events[0].payload.find(R"("key":{})") != std::string::npos);
  change.op = RowChange::Op::kTruncate;
  change.truncated = {keyless};
  events = ChangeEvents(Txn(), change, "7301/db");
  REQUIRE(events.size() == 1);
  CHECK(events[0].key == R"(["shop.applog"])");
}

TEST_CASE("snapshot row: op r, before null, source with the consistent point and no xid") {
  const PgChangeEvent event = SnapshotEvent(*Accounts(), {T("5"), Null(), T("t")}, 0x100000028, 1500, "7301/db");
  CHECK(event.key == R"(["shop.accounts",5])");
  CHECK(event.payload ==
        R"({"op":"r","table":"shop.accounts","key":{"id":5},"before":null,"after":{"id":5,"note":null,"ok":true},"ts_ms":946684800001,"source":{"connector":"postgres","source_id":"7301/db","lsn":"1/28","snapshot":true}})");
  CHECK(event.headers == std::vector<std::pair<std::string, std::string>>{
                             {"evlog.op", "r"}, {"evlog.table", "shop.accounts"}, {"evlog.source_id", "7301/db"},
                             {"evlog.lsn", "1/28"}});
}
