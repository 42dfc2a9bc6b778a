// The outbox's value lists (format-spec/change-events.md §C1.2), read back: every literal
// quote() writes, and a clear kCorruption for anything a damaged outbox could hold instead.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <string>

#include "capture/value_list.h"

namespace evlog {
namespace {

// The relay hands REAL literals to SQLite; strtod is exact for the ones tested here.
eventlog::Result<double> Strtod(std::string_view literal) {
  return std::strtod(std::string(literal).c_str(), nullptr);
}

}  // namespace

TEST_CASE("AValueListReadsBackEveryLiteralQuoteWrites") {
  auto values = ParseValueList("NULL,-9223372036854775808,0.1,Inf,-Inf,'it''s',X'00FF',TX'410042',''", Strtod);
  REQUIRE_MESSAGE(values.has_value(), values.status().message());
  REQUIRE(values->size() == 9);
  CHECK((*values)[0] == SqlValue::Null());
  CHECK((*values)[1] == SqlValue::Integer(INT64_MIN));
  CHECK((*values)[2] == SqlValue::Real(0.1));
  CHECK((*values)[3] == SqlValue::Real(HUGE_VAL));
  CHECK((*values)[4] == SqlValue::Real(-HUGE_VAL));
  CHECK((*values)[5] == SqlValue::Text("it's"));
  CHECK((*values)[6] == SqlValue::Blob(std::string("\0\xff", 2)));
  CHECK((*values)[7] == SqlValue::Text(std::string("A\0B", 3)));
  CHECK((*values)[8] == SqlValue::Text(""));
}

TEST_CASE("WhatIsNotAValueListIsCorruptionSayingWhere") {
  const char* bad[] = {"",          "NULL,",       "'open",       "X'0'",     "X'GG'", "TX'41",
                       "12x",       "1,,2",        "99999999999999999999",    "NULL NULL", "Infinity",
                       "'a'b",      "X'00",        "-",           ",NULL"};
  for (const char* list : bad) {
    CAPTURE(list);
    auto values = ParseValueList(list, Strtod);
    REQUIRE_FALSE(values.has_value());
    CHECK(values.error().code() == eventlog::StatusCode::kCorruption);
    CHECK(values.error().message().find("byte") != std::string::npos);
  }
}

}  // namespace evlog
