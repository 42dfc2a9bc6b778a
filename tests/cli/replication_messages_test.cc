// The streaming replication wrapper messages (cli/capture/postgres/replication_messages.h),
// assembled per the PostgreSQL documentation, "Streaming Replication Protocol".
#include <doctest/doctest.h>

#include "capture/postgres/replication_messages.h"
#include "pg_wire_builder.h"

using namespace evlog::pg;

TEST_CASE("XLogData carries its positions and a payload viewing the input") {
  const PgWire wire = PgWire().Tag('w').U64(0x100).U64(0x2A0).U64(12345).Raw("B\x01\x02");
  auto decoded = DecodeServerCopyData(wire.bytes());
  REQUIRE_MESSAGE(decoded.has_value(), decoded.status().message());
  const auto& data = std::get<XLogData>(*decoded);
  CHECK(data.wal_start == 0x100);
  CHECK(data.wal_end == 0x2A0);
  CHECK(data.server_time == 12345);
  CHECK(data.payload == "B\x01\x02");
  CHECK(data.payload.data() == wire.bytes().data() + 25);
}

TEST_CASE("A keepalive says whether it wants an answer now") {
  for (uint8_t reply : {0, 1}) {
    auto decoded = DecodeServerCopyData(PgWire().Tag('k').U64(0x2A0).U64(777).U8(reply).bytes());
    REQUIRE(decoded.has_value());
    const auto& keepalive = std::get<PrimaryKeepalive>(*decoded);
    CHECK(keepalive.wal_end == 0x2A0);
    CHECK(keepalive.server_time == 777);
    CHECK(keepalive.reply_requested == (reply == 1));
  }
}

TEST_CASE("Short, long and unknown CopyData messages are corrupt") {
  const std::string keepalive = PgWire().Tag('k').U64(1).U64(2).U8(0).bytes();
  for (size_t length = 0; length < keepalive.size(); length++)
    CHECK_FALSE(DecodeServerCopyData(keepalive.substr(0, length)).has_value());
  CHECK_FALSE(DecodeServerCopyData(keepalive + "x").has_value());
  const std::string xlog = PgWire().Tag('w').U64(1).U64(2).U64(3).bytes();
  for (size_t length = 0; length < xlog.size(); length++)
    CHECK_FALSE(DecodeServerCopyData(xlog.substr(0, length)).has_value());
  CHECK(DecodeServerCopyData(xlog).has_value());  // an empty payload is the pgoutput decoder's to refuse
  auto unknown = DecodeServerCopyData("r");
  REQUIRE_FALSE(unknown.has_value());
  CHECK(unknown.error().message().find("unknown message type 0x72") != std::string::npos);
}

TEST_CASE("A standby status update is 'r', three positions, the clock and the reply flag") {
  StandbyStatus status;
  status.written = 0x0102030405060708;
  status.flushed = 0x1112131415161718;
  status.applied = 0x2122232425262728;
  status.client_time = -2;
  status.reply_requested = true;
  const std::string expected =
      PgWire().Tag('r').U64(status.written).U64(status.flushed).U64(status.applied).U64(~uint64_t{1}).U8(1).bytes();
  CHECK(EncodeStandbyStatus(status) == expected);
  CHECK(EncodeStandbyStatus(status).size() == 34);
}

TEST_CASE("LSNs print and parse as PostgreSQL writes them") {
  CHECK(FormatLsn(0) == "0/0");
  CHECK(FormatLsn(0x0000000116B3F0A8) == "1/16B3F0A8");
  CHECK(FormatLsn(~uint64_t{0}) == "FFFFFFFF/FFFFFFFF");
  for (Lsn lsn : {Lsn{0}, Lsn{0x0000000116B3F0A8}, ~Lsn{0}}) CHECK(*ParseLsn(FormatLsn(lsn)) == lsn);
  CHECK(*ParseLsn("1/16b3f0a8") == 0x0000000116B3F0A8);
  for (const char* bad : {"", "/", "1/", "/1", "1", "1/2/3", "g/1", "1/123456789", "-1/2", " 1/2"})
    CHECK_MESSAGE(!ParseLsn(bad).has_value(), bad);
}
