// Change events (format-spec/change-events.md §C1, §C3, §C4): every SQLite value survives
// the JSON round trip with its storage class and its exact bits or bytes.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "codec/change_event.h"

namespace evlog {
namespace {

std::string Json(const SqlValue& v) {
  std::string out;
  AppendJsonValue(&out, v);
  return out;
}

ChangeEvent Sample(char op) {
  ChangeEvent c;
  c.op = op;
  c.table = "orders";
  c.key = {{"id", SqlValue::Integer(42)}};
  SqlRow row = {{"id", SqlValue::Integer(42)}, {"total", SqlValue::Real(9.5)}};
  if (op == 'u' || op == 'd') c.before = row;
  if (op != 'd') c.after = row;
  c.ts_ms = 1764590000123;
  c.source_id = "0123456789abcdef0123456789abcdef";
  if (op != 'r') c.outbox_id = 7;
  return c;
}

}  // namespace

TEST_CASE("ChangeValuesHaveTheJsonFormsOfTheSpec") {
  CHECK(Json(SqlValue::Null()) == "null");
  CHECK(Json(SqlValue::Integer(-9223372036854775807 - 1)) == "-9223372036854775808");
  CHECK(Json(SqlValue::Integer(9007199254740993)) == "9007199254740993");
  CHECK(Json(SqlValue::Real(2.0)) == "2.0");
  CHECK(Json(SqlValue::Real(0.1)) == "0.1");
  CHECK(Json(SqlValue::Real(-0.0)) == "-0.0");
  CHECK(Json(SqlValue::Real(1e300)) == "1e+300");
  CHECK(Json(SqlValue::Real(HUGE_VAL)) == R"({"$real":"Infinity"})");
  CHECK(Json(SqlValue::Text("it's \"q\"\n")) == R"("it's \"q\"\n")");
  CHECK(Json(SqlValue::Text(std::string("a\0b", 3))) == R"("a\u0000b")");
  CHECK(Json(SqlValue::Text("\xff")) == R"({"$text_base64":"/w=="})");
  CHECK(Json(SqlValue::Blob(std::string("\x00\x01", 2))) == R"({"$blob_base64":"AAE="})");
}

TEST_CASE("EveryValueRoundTripsThroughTheEnvelopeExactly") {
  const SqlValue values[] = {
      SqlValue::Null(),
      SqlValue::Integer(0),
      SqlValue::Integer(std::numeric_limits<int64_t>::max()),
      SqlValue::Integer(std::numeric_limits<int64_t>::min()),
      SqlValue::Real(0.1),
      SqlValue::Real(1.0 / 3),
      SqlValue::Real(-0.0),
      SqlValue::Real(5e-324),
      SqlValue::Real(std::numeric_limits<double>::max()),
      SqlValue::Real(-HUGE_VAL),
      SqlValue::Real(3.0),
      SqlValue::Text(""),
      SqlValue::Text("π ∑ \x01"),
      SqlValue::Text(std::string("\0\xfe", 2)),
      SqlValue::Blob(""),
      SqlValue::Blob(std::string("\0\xff\x80", 3)),
  };
  ChangeEvent c = Sample('c');
  c.after = SqlRow{};
  for (size_t i = 0; i < std::size(values); ++i) c.after->push_back({"c" + std::to_string(i), values[i]});
  auto decoded = DecodeChangeEnvelope(EncodeChangeEnvelope(c));
  REQUIRE_MESSAGE(decoded.has_value(), decoded.status().message());
  REQUIRE(decoded->after->size() == std::size(values));
  for (size_t i = 0; i < std::size(values); ++i) {
    CAPTURE(i);
    CHECK((*decoded->after)[i].first == "c" + std::to_string(i));
    CHECK((*decoded->after)[i].second == values[i]);
  }
  CHECK(decoded->op == 'c');
  CHECK(decoded->table == "orders");
  CHECK(decoded->key == c.key);
  CHECK_FALSE(decoded->before.has_value());
  CHECK(decoded->ts_ms == c.ts_ms);
  CHECK(decoded->source_id == c.source_id);
  CHECK(decoded->outbox_id == 7);
}

TEST_CASE("TheEnvelopeKeyAndHeadersHaveTheFormsOfTheSpec") {
  ChangeEvent c = Sample('u');
  CHECK(EncodeChangeEnvelope(c) ==
        R"({"op":"u","table":"orders","key":{"id":42},"before":{"id":42,"total":9.5},"after":{"id":42,"total":9.5},)"
        R"("ts_ms":1764590000123,"source":{"connector":"sqlite","source_id":"0123456789abcdef0123456789abcdef",)"
        R"("outbox_id":7}})");
  CHECK(EncodeChangeKey(c) == R"(["orders",42])");
  std::string storage;
  auto headers = ChangeHeaders(c, &storage);
  REQUIRE(headers.size() == 4);
  CHECK(headers[0].name == "evlog.op");
  CHECK(headers[0].value == "u");
  CHECK(headers[1].value == "orders");
  CHECK(headers[2].value == c.source_id);
  CHECK(headers[3].name == "evlog.outbox_id");
  CHECK(headers[3].value == "7");
  ChangeEvent r = Sample('r');
  CHECK(EncodeChangeEnvelope(r).ends_with(R"("snapshot":true}})"));
  CHECK(ChangeHeaders(r, &storage).size() == 3);
}

TEST_CASE("WhatIsNotAChangeEnvelopeIsRefusedSayingWhy") {
  const char* bad[] = {
      "hello",
      "{}",
      R"({"op":"x","table":"t","key":{"id":1},"before":null,"after":{"id":1}})",
      R"({"op":"c","table":"t","key":{"id":1},"before":null,"after":null})",
      R"({"op":"d","table":"t","key":{"id":1},"before":null,"after":null})",
      R"({"op":"c","table":"t","key":{"id":99999999999999999999},"before":null,"after":{"id":1}})",
      R"({"op":"c","table":"t","key":{"id":1},"before":null,"after":{"id":{"$real":"nan"}}})",
      R"({"op":"c","table":"t","key":{"id":1},"before":null,"after":{"id":{"$unchanged_toast":false}}})",
      R"({"op":"t","table":"t","key":{},"before":null,"after":null})",
      R"({"op":"c","table":"t","key":null,"before":null,"after":{"id":1}})",
      R"({"op":"t","table":"t","key":null,"before":null,"after":{"id":1}})",
      R"({"op":"c","table":"t","key":{"id":1},"before":{"id":1},"after":{"id":1}})",
      R"({"op":"c","table":"t","key":{"id":1},"before":null,"after":{"id":{"$blob_base64":"!"}}})",
      R"({"op":"c","table":"t","key":{"id":1},"before":null,"after":{"id":[1]}})",
      R"({"op":"c","table":"t","key":{"id":1},"key":{"id":2},"before":null,"after":{"id":1}})",
  };
  for (const char* payload : bad) {
    CAPTURE(payload);
    auto decoded = DecodeChangeEnvelope(payload);
    REQUIRE_FALSE(decoded.has_value());
    CHECK(decoded.error().code() == eventlog::StatusCode::kInvalidArgument);
    CHECK(decoded.error().message().starts_with("not a change event"));
  }
}

// §C7: PostgreSQL's envelopes decode to the same ChangeEvent, with its extra forms mapped.
TEST_CASE("PostgresEnvelopesDecode") {
  auto u = DecodeChangeEnvelope(
      R"({"op":"u","table":"public.t","key":{"id":1},"before":null,"after":{"id":1,"ok":true,"no":false,)"
      R"("x":{"$real":"NaN"},"big":{"$unchanged_toast":true},"n":"1.50"},"ts_ms":5,)"
      R"("source":{"connector":"postgres","source_id":"7/db","xid":9,"lsn":"0/1"}})");
  REQUIRE(u.has_value());
  CHECK(u->op == 'u');
  CHECK(u->connector == "postgres");
  CHECK_FALSE(u->before.has_value());
  const SqlRow& after = *u->after;
  REQUIRE(after.size() == 6);
  CHECK(after[1].second == SqlValue::Integer(1));
  CHECK(after[2].second == SqlValue::Integer(0));
  CHECK(after[3].second.type == SqlValue::Type::kReal);
  CHECK(std::isnan(after[3].second.real));
  CHECK(after[4].second.type == SqlValue::Type::kUnchangedToast);
  CHECK(after[5].second == SqlValue::Text("1.50"));
  CHECK(HasUnchangedToast(after));
  CHECK(WithoutUnchangedToast(after).size() == 5);
  auto old_key = OldKey(*u);
  REQUIRE(old_key.has_value());
  CHECK(*old_key == SqlRow{{"id", SqlValue::Integer(1)}});

  auto t = DecodeChangeEnvelope(R"({"op":"t","table":"public.t","key":null,"before":null,"after":null})");
  REQUIRE(t.has_value());
  CHECK(t->op == 't');
  CHECK(t->key.empty());
  CHECK(t->connector == "sqlite");  // the default when source says nothing

  auto keyless = DecodeChangeEnvelope(R"({"op":"c","table":"public.t","key":{},"before":null,"after":{"v":1}})");
  REQUIRE(keyless.has_value());
  CHECK(keyless->key.empty());

  // What a PostgreSQL reader encodes reads back the same: NaN and the mark included.
  std::string json;
  AppendJsonValue(&json, SqlValue::Real(std::nan("")));
  AppendJsonValue(&json, SqlValue::UnchangedToast());
  CHECK(json == R"({"$real":"NaN"}{"$unchanged_toast":true})");
}

}  // namespace evlog
