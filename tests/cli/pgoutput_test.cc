// The pgoutput decoder (cli/capture/postgres/pgoutput.h) on messages assembled per the
// PostgreSQL documentation, "Logical Replication Message Formats", and on hostile ones.
#include <doctest/doctest.h>

#include <cstdlib>
#include <random>

#include "capture/postgres/pgoutput.h"
#include "pg_wire_builder.h"

using evlog::pg::DecodePgoutput;
using namespace evlog::pg;

namespace {

constexpr Lsn kLsn = 0x0000000116B3F0A8;
constexpr PgTimestamp kTime = 818'000'000'123'456;

template <typename T>
T Decode(const PgWire& wire) {
  auto decoded = DecodePgoutput(wire.bytes());
  REQUIRE_MESSAGE(decoded.has_value(), decoded.status().message());
  REQUIRE(std::holds_alternative<T>(*decoded));
  return std::get<T>(*decoded);
}

void CheckCorrupt(std::string_view bytes, std::string_view message_part) {
  auto decoded = DecodePgoutput(bytes);
  REQUIRE_FALSE(decoded.has_value());
  CHECK(decoded.error().code() == eventlog::StatusCode::kCorruption);
  CHECK_MESSAGE(decoded.error().message().find(message_part) != std::string::npos, decoded.error().message());
}

PgWire RelationWire() {
  return PgWire().Tag('R').U32(16385).Str("public").Str("items").U8('d').I16(3)
      .U8(1).Str("id").U32(23).I32(-1)
      .U8(0).Str("name").U32(25).I32(-1)
      .U8(0).Str("price").U32(1700).I32(655366);
}

PgWire UpdateWithOldKeyWire() {
  return PgWire().Tag('U').U32(16385).Tag('K').I16(3).Text("7").Tag('n').Tag('n')
      .Tag('N').I16(3).Text("8").Tag('u').Text("1.50");
}

// One valid message of every type, for the tests that damage them.
std::vector<std::string> EveryMessage() {
  return {
      PgWire().Tag('B').U64(kLsn).U64(kTime).U32(731).bytes(),
      PgWire().Tag('C').U8(0).U64(kLsn).U64(kLsn + 48).U64(kTime).bytes(),
      PgWire().Tag('O').U64(kLsn).Str("origin_a").bytes(),
      RelationWire().bytes(),
      PgWire().Tag('Y').U32(90001).Str("public").Str("mood").bytes(),
      PgWire().Tag('I').U32(16385).Tag('N').I16(2).Text("1").Tag('n').bytes(),
      UpdateWithOldKeyWire().bytes(),
      PgWire().Tag('D').U32(16385).Tag('O').I16(1).Text("7").bytes(),
      PgWire().Tag('T').I32(2).U8(3).U32(16385).U32(16390).bytes(),
  };
}

}  // namespace

TEST_CASE("Begin, Commit and Origin decode every field") {
  const auto begin = Decode<PgBegin>(PgWire().Tag('B').U64(kLsn).U64(kTime).U32(0xfffffff0));
  CHECK(begin.final_lsn == kLsn);
  CHECK(begin.commit_time == kTime);
  CHECK(begin.xid == 0xfffffff0);

  const auto commit = Decode<PgCommit>(PgWire().Tag('C').U8(0).U64(kLsn).U64(kLsn + 48).U64(kTime));
  CHECK(commit.commit_lsn == kLsn);
  CHECK(commit.end_lsn == kLsn + 48);
  CHECK(commit.commit_time == kTime);

  const auto origin = Decode<PgOrigin>(PgWire().Tag('O').U64(kLsn - 1).Str("origin_a"));
  CHECK(origin.origin_commit_lsn == kLsn - 1);
  CHECK(origin.name == "origin_a");
}

TEST_CASE("Relation lists columns in order with key flags, types and modifiers") {
  const auto relation = Decode<PgRelation>(RelationWire());
  CHECK(relation.id == 16385);
  CHECK(relation.schema == "public");
  CHECK(relation.name == "items");
  CHECK(relation.replica_identity == 'd');
  REQUIRE(relation.columns.size() == 3);
  CHECK(relation.columns[0].key);
  CHECK(relation.columns[0].name == "id");
  CHECK(relation.columns[0].type_oid == 23);
  CHECK_FALSE(relation.columns[1].key);
  CHECK(relation.columns[1].name == "name");
  CHECK(relation.columns[2].type_oid == 1700);
  CHECK(relation.columns[2].type_modifier == 655366);
}

TEST_CASE("Type names a non-built-in type") {
  const auto type = Decode<PgType>(PgWire().Tag('Y').U32(90001).Str("public").Str("mood"));
  CHECK(type.oid == 90001);
  CHECK(type.schema == "public");
  CHECK(type.name == "mood");
}

TEST_CASE("Insert carries text, null and unchanged-TOAST values, and empty text is not null") {
  const auto insert = Decode<PgInsert>(
      PgWire().Tag('I').U32(16385).Tag('N').I16(4).Text("42").Tag('n').Tag('u').Text(""));
  CHECK(insert.relation_id == 16385);
  REQUIRE(insert.row.size() == 4);
  CHECK(insert.row[0].kind == PgValue::Kind::kText);
  CHECK(insert.row[0].text == "42");
  CHECK(insert.row[1].kind == PgValue::Kind::kNull);
  CHECK(insert.row[2].kind == PgValue::Kind::kUnchangedToast);
  CHECK(insert.row[3].kind == PgValue::Kind::kText);
  CHECK(insert.row[3].text.empty());
}

TEST_CASE("Text values keep embedded NULs and arbitrary bytes") {
  const std::string odd("a\0b\xff", 4);
  const auto insert = Decode<PgInsert>(PgWire().Tag('I').U32(1).Tag('N').I16(1).Text(odd));
  CHECK(insert.row[0].text == odd);
}

TEST_CASE("Update with no old row, the old key, or the whole old row") {
  SUBCASE("no old row") {
    const auto update = Decode<PgUpdate>(PgWire().Tag('U').U32(5).Tag('N').I16(1).Text("x"));
    CHECK(update.old_kind == PgOldRow::kNone);
    CHECK(update.old_row.empty());
    REQUIRE(update.new_row.size() == 1);
    CHECK(update.new_row[0].text == "x");
  }
  SUBCASE("old key") {
    const auto update = Decode<PgUpdate>(UpdateWithOldKeyWire());
    CHECK(update.old_kind == PgOldRow::kKey);
    REQUIRE(update.old_row.size() == 3);
    CHECK(update.old_row[0].text == "7");
    REQUIRE(update.new_row.size() == 3);
    CHECK(update.new_row[0].text == "8");
    CHECK(update.new_row[1].kind == PgValue::Kind::kUnchangedToast);
  }
  SUBCASE("old full row") {
    const auto update = Decode<PgUpdate>(
        PgWire().Tag('U').U32(5).Tag('O').I16(2).Text("1").Text("a").Tag('N').I16(2).Text("1").Text("b"));
    CHECK(update.old_kind == PgOldRow::kFull);
    CHECK(update.old_row[1].text == "a");
    CHECK(update.new_row[1].text == "b");
  }
}

TEST_CASE("Delete carries the old key or old row; anything else is corrupt") {
  const auto by_key = Decode<PgDelete>(PgWire().Tag('D').U32(5).Tag('K').I16(1).Text("9"));
  CHECK(by_key.old_kind == PgOldRow::kKey);
  CHECK(by_key.old_row[0].text == "9");
  const auto full = Decode<PgDelete>(PgWire().Tag('D').U32(5).Tag('O').I16(1).Text("9"));
  CHECK(full.old_kind == PgOldRow::kFull);
  CheckCorrupt(PgWire().Tag('D').U32(5).Tag('N').I16(1).Text("9").bytes(), "old tuple tag");
}

TEST_CASE("Truncate lists its relations and options") {
  const auto truncate = Decode<PgTruncate>(PgWire().Tag('T').I32(2).U8(3).U32(16385).U32(16390));
  CHECK(truncate.options == (PgTruncate::kCascade | PgTruncate::kRestartIdentity));
  CHECK(truncate.relation_ids == std::vector<uint32_t>{16385, 16390});
}

TEST_CASE("Every truncated prefix of every message is corrupt, never a crash") {
  for (const std::string& whole : EveryMessage()) {
    for (size_t length = 0; length < whole.size(); length++) {
      CAPTURE(whole[0]);
      CAPTURE(length);
      CHECK_FALSE(DecodePgoutput(std::string_view(whole).substr(0, length)).has_value());
    }
  }
}

TEST_CASE("A trailing byte after any message is corrupt") {
  for (const std::string& whole : EveryMessage()) {
    CAPTURE(whole[0]);
    CheckCorrupt(whole + 'x', "trailing");
  }
}

TEST_CASE("Hostile lengths and counts are refused before anything is allocated for them") {
  SUBCASE("value length beyond the message") {
    CheckCorrupt(PgWire().Tag('I').U32(1).Tag('N').I16(1).Tag('t').I32(0x7fffffff).Raw("abc").bytes(),
                 "value needs 2147483647 bytes");
  }
  SUBCASE("negative value length") {
    CheckCorrupt(PgWire().Tag('I').U32(1).Tag('N').I16(1).Tag('t').I32(-2).bytes(), "negative length");
  }
  SUBCASE("tuple column count beyond the message") {
    CheckCorrupt(PgWire().Tag('I').U32(1).Tag('N').I16(32767).Tag('n').bytes(), "column count of 32767");
  }
  SUBCASE("negative tuple column count") {
    CheckCorrupt(PgWire().Tag('I').U32(1).Tag('N').I16(-1).bytes(), "negative");
  }
  SUBCASE("relation column count beyond the message") {
    CheckCorrupt(PgWire().Tag('R').U32(1).Str("s").Str("t").U8('d').I16(2).U8(0).Str("a").U32(23).I32(-1).bytes(),
                 "column count of 2");
  }
  SUBCASE("truncate relation count beyond the message") {
    CheckCorrupt(PgWire().Tag('T').I32(0x7fffffff).U8(0).U32(1).bytes(), "relation count");
  }
  SUBCASE("string without its NUL") {
    CheckCorrupt(PgWire().Tag('Y').U32(1).Str("public").Raw("mood").bytes(), "no terminating NUL");
  }
  SUBCASE("unknown value kind, including binary, which we never request") {
    CheckCorrupt(PgWire().Tag('I').U32(1).Tag('N').I16(1).Tag('b').I32(1).Raw("x").bytes(), "value kind 0x62");
  }
  SUBCASE("insert without its new tuple tag") {
    CheckCorrupt(PgWire().Tag('I').U32(1).Tag('K').I16(0).bytes(), "new tuple tag");
  }
}

TEST_CASE("Empty input and message types outside protocol version 1 are corrupt") {
  CheckCorrupt("", "empty");
  CheckCorrupt(PgWire().Tag('S').U32(1).U8(1).bytes(), "unknown type 0x53");  // Stream Start (v2)
  CheckCorrupt(PgWire().Tag('M').U8(1).U64(kLsn).Str("p").I32(0).bytes(), "unknown type 0x4d");
}

TEST_CASE("Randomly damaged messages decode or fail cleanly (seed: EVLOG_SEED)") {
  const char* env = std::getenv("EVLOG_SEED");
  const uint64_t seed = env != nullptr ? std::strtoull(env, nullptr, 10) : std::random_device{}();
  MESSAGE("seed ", seed, " (replay with EVLOG_SEED=", seed, ")");
  std::mt19937_64 random(seed);
  const std::vector<std::string> messages = EveryMessage();
  for (int round = 0; round < 20000; round++) {
    std::string bytes = messages[random() % messages.size()];
    const int flips = 1 + static_cast<int>(random() % 4);
    for (int i = 0; i < flips; i++) bytes[random() % bytes.size()] = static_cast<char>(random());
    auto decoded = DecodePgoutput(bytes);
    // Whatever decodes must not claim more than the input could hold.
    if (decoded.has_value()) {
      if (auto* insert = std::get_if<PgInsert>(&*decoded)) CHECK(insert->row.size() <= bytes.size());
    } else {
      CHECK(decoded.error().code() == eventlog::StatusCode::kCorruption);
    }
  }
}
