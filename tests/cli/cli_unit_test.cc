// Unit tests for the CLI's parsers and encoders; the behaviour of the tool as a whole is
// tested by the shell scripts next to this file, against the real binary.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "codec/base64.h"
#include "codec/format_string.h"
#include "codec/input_framing.h"
#include "codec/json_envelope.h"
#include "codec/output_buffer.h"
#include "args/position.h"
#include "args/size_parse.h"
#include "codec/time_parse.h"
#include "output_capture.h"

namespace evlog {
namespace {

// Runs `write` against a tiny OutputBuffer (16 bytes, to exercise the flush paths).
template <typename F>
std::string Capture(F write) {
  return CaptureOutput(write, 16);
}

TEST_CASE("ParseSizeAcceptsBinarySuffixes") {
  CHECK(ParseSize("4096") == 4096u);
  CHECK(ParseSize("64K") == 65536u);
  CHECK(ParseSize("16m") == 16u << 20);
  CHECK(ParseSize("1GiB") == 1u << 30);
  CHECK_FALSE(ParseSize(""));
  CHECK_FALSE(ParseSize("K"));
  CHECK_FALSE(ParseSize("12X"));
  CHECK_FALSE(ParseSize("-1"));
  CHECK_FALSE(ParseSize("99999999999999999999G"));
}

TEST_CASE("PositionsResolveAgainstTheLog") {
  eventlog::LogInfo info{.first_offset = 5, .next_offset = 20};
  CHECK(StartOffset(*ParsePosition("beginning"), info) == 5);
  CHECK(StartOffset(*ParsePosition("end"), info) == 20);
  CHECK(StartOffset(*ParsePosition("-3"), info) == 17);
  CHECK(StartOffset(*ParsePosition("-30"), info) == 0);
  CHECK(StartOffset(*ParsePosition("12"), info) == 12);
  CHECK(EndOffsetExclusive(*ParsePosition("end"), info) == 20);
  CHECK(EndOffsetExclusive(*ParsePosition("-1"), info) == 20);
  CHECK(EndOffsetExclusive(*ParsePosition("12"), info) == 13);
  // Found by fuzzing: in a full log (next offset 2^64 - 1), --to -0 wrapped to an empty range.
  const eventlog::LogInfo full{.first_offset = 7, .next_offset = UINT64_MAX};
  CHECK(EndOffsetExclusive(*ParsePosition("-0"), full) == UINT64_MAX);
  CHECK(EndOffsetExclusive(*ParsePosition("-1"), full) == UINT64_MAX);
  CHECK_FALSE(ParsePosition("x"));
  CHECK_FALSE(ParsePosition("-"));
}

TEST_CASE("Base64RoundTripsEveryLength") {
  std::string bytes;
  for (int i = 0; i < 300; ++i) {
    std::string encoded(Base64EncodedSize(bytes.size()), '\0');
    REQUIRE(Base64Encode(bytes, encoded.data()) == encoded.size());
    std::string decoded;
    REQUIRE(Base64Decode(encoded, &decoded));
    CHECK(decoded == bytes);
    bytes += static_cast<char>(i * 37);
  }
  std::string out;
  CHECK(Base64Decode("aGk", &out));
  CHECK(out == "hi");
  CHECK_FALSE(Base64Decode("aGk*", &out));
  CHECK_FALSE(Base64Decode("a", &out));
  // Non-zero bits after the last whole byte: no encoder writes them.
  CHECK_FALSE(Base64Decode("YR==", &out));
  CHECK_FALSE(Base64Decode("ab==", &out));
  CHECK_FALSE(Base64Decode("aGl=", &out));
  CHECK(Base64Decode("YQ==", &out));
  CHECK(out == "a");
}

TEST_CASE("Utf8Validation") {
  CHECK(IsValidUtf8("plain ascii text, long enough for words"));
  CHECK(IsValidUtf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  CHECK_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong
  CHECK_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  CHECK_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  CHECK_FALSE(IsValidUtf8("abcdefgh\xe2\x82"));  // truncated
  CHECK_FALSE(IsValidUtf8("\xff"));
}

TEST_CASE("JsonStringEscaping") {
  std::string input = "q\"b\\n\nt\tc\x01\x1f\x7f ok ";
  std::string text = Capture([&](OutputBuffer& out) { AppendJsonString(input, out); });
  CHECK(text == "\"q\\\"b\\\\n\\nt\\tc\\u0001\\u001f\x7f ok \"");
}

TEST_CASE("EventJsonRoundTripsThroughTheDecoder") {
  std::vector<eventlog::HeaderView> headers = {{"h1", "v1"}, {"h\xff", "x"}};
  eventlog::Event event{.offset = 42,
                        .timestamp_ns = 0,
                        .key = std::string_view("k\x80", 2),
                        .headers = headers,
                        .payload = std::string_view("a\0b", 3)};
  std::string json = Capture([&](OutputBuffer& out) { AppendEventJson(event, out); });
  CHECK(json.find("\"offset\":42,\"timestamp\":\"1970-01-01T00:00:00.000000000Z\"") !=
        std::string::npos);
  CHECK(json.find("\"key_encoding\":\"base64\"") != std::string::npos);
  CHECK(json.find("\"headers_encoding\":\"base64\"") != std::string::npos);
  CHECK(json.find("\"payload\":\"a\\u0000b\"") != std::string::npos);
  DecodedEnvelope decoded;
  REQUIRE(DecodeEnvelope(json, &decoded).ok());
  CHECK(decoded.has_key);
  CHECK(decoded.key == std::string("k\x80", 2));
  CHECK(decoded.payload == std::string("a\0b", 3));
  REQUIRE(decoded.headers.size() == 2);
  CHECK(decoded.headers[1].first == "h\xff");
}

TEST_CASE("RepeatedHeaderNamesKeepHeadersAnObject") {
  std::vector<eventlog::HeaderView> headers = {{"a", "1"}, {"b", "2"}, {"a", "3"}};
  eventlog::Event event{.offset = 0, .timestamp_ns = 0, .key = std::nullopt, .headers = headers, .payload = "p"};
  std::string json = Capture([&](OutputBuffer& out) { AppendEventJson(event, out); });
  CHECK(json.find(R"("headers":{"a":"3","b":"2"},"headers_all":["a","1","b","2","a","3"],"payload")") !=
        std::string::npos);
  DecodedEnvelope decoded;
  REQUIRE(DecodeEnvelope(json, &decoded).ok());
  REQUIRE(decoded.headers.size() == 3);
  CHECK(decoded.headers[2] == std::pair<std::string, std::string>("a", "3"));
  CHECK_FALSE(DecodeEnvelope(R"({"headers":{},"headers_all":{"a":"1"}})", &decoded).ok());
  CHECK_FALSE(DecodeEnvelope(R"({"headers":5,"headers_all":["a","1"]})", &decoded).ok());
}

TEST_CASE("DecodeKcatEnvelope") {
  DecodedEnvelope decoded;
  REQUIRE(DecodeEnvelope(R"({"topic":"t","partition":0,"offset":9,"tstype":"create","ts":1,)"
                         R"("broker":1,"headers":["b","2","a","1"],"key":null,"payload":"p"})",
                         &decoded)
              .ok());
  CHECK_FALSE(decoded.has_key);
  CHECK(decoded.payload == "p");
  REQUIRE(decoded.headers.size() == 2);
  CHECK(decoded.headers[0] == std::pair<std::string, std::string>("b", "2"));
}

TEST_CASE("DecodeRejectsBadEnvelopes") {
  DecodedEnvelope decoded;
  auto status = DecodeEnvelope("{\"payload\":", &decoded);
  CHECK(status.code() == eventlog::StatusCode::kInvalidArgument);
  CHECK(status.message().find("invalid JSON") != std::string::npos);
  CHECK_FALSE(DecodeEnvelope("[1]", &decoded).ok());
  CHECK_FALSE(DecodeEnvelope(R"({"key":5,"payload":""})", &decoded).ok());
  CHECK_FALSE(DecodeEnvelope(R"({"payload":"*","payload_encoding":"base64"})", &decoded).ok());
  CHECK_FALSE(DecodeEnvelope(R"({"headers":["odd"],"payload":""})", &decoded).ok());
}

TEST_CASE("DecodeRequiresAPayloadAndReadsNullAsAnEmptyOne") {
  DecodedEnvelope decoded;
  for (const char* not_envelope : {R"({})", R"({"key":"k"})", R"({"name":"x","value":1})"}) {
    CAPTURE(not_envelope);
    auto status = DecodeEnvelope(not_envelope, &decoded);
    CHECK(status.code() == eventlog::StatusCode::kInvalidArgument);
    CHECK(status.message().find("no \"payload\" member") != std::string::npos);
  }
  decoded.payload = "left over";
  REQUIRE(DecodeEnvelope(R"({"key":"k","payload":null})", &decoded).ok());
  CHECK(decoded.payload.empty());
  REQUIRE(DecodeEnvelope(R"({"key":"k","payload":""})", &decoded).ok());
  CHECK(decoded.payload.empty());
}

TEST_CASE("DecodeKeepsAStructuredPayloadByteForByte") {
  DecodedEnvelope decoded;
  REQUIRE(DecodeEnvelope(R"({"payload":123456789012345678901234567890})", &decoded).ok());
  CHECK(decoded.payload == "123456789012345678901234567890");
  REQUIRE(DecodeEnvelope(R"({"payload": {"b" : [1.50, 2e3]} , "key":"k"})", &decoded).ok());
  CHECK(decoded.payload == R"({"b" : [1.50, 2e3]})");
  const std::string deep = "{\"payload\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
  REQUIRE(DecodeEnvelope(deep, &decoded).ok());
  CHECK(decoded.payload.size() == 200000);
}

TEST_CASE("DecodeRefusesNumbersOutOfRangeAndRepeatedNames") {
  DecodedEnvelope decoded;
  for (const char* bad : {R"({"payload":1e999})", R"({"ts":-1e999,"payload":"x"})", R"({"payload":"a","payload":"b"})",
                          R"({"headers":{"h":"1","h":"2"}})", R"({"key":"a","k\u0065y":"b"})", R"({"payload":[1}})",
                          R"({"payload":"x",})", R"({"payload":"x"} y)", R"({"key_encoding":tru})"}) {
    CAPTURE(bad);
    auto status = DecodeEnvelope(bad, &decoded);
    CHECK(status.code() == eventlog::StatusCode::kInvalidArgument);
    CHECK(status.message().find("invalid JSON at column ") == 0);
  }
}

TEST_CASE("FormatStringTokens") {
  std::vector<eventlog::HeaderView> headers = {{"a", "1"}, {"b", "2"}};
  eventlog::Event event{.offset = 7,
                        .timestamp_ns = 1'500'000'999,
                        .key = std::nullopt,
                        .headers = headers,
                        .payload = "hello"};
  auto format = FormatString::Compile("%o|%k|%s|%S|%T|%h|%%\\t\\0\\\\\\n");
  REQUIRE(format);
  std::string text = Capture([&](OutputBuffer& out) { format->Append(event, out); });
  CHECK(text == std::string("7||hello|5|1500|a=1,b=2|%\t\0\\\n", 29));
  CHECK_FALSE(FormatString::Compile("%x"));
  CHECK_FALSE(FormatString::Compile("abc%"));
  CHECK_FALSE(FormatString::Compile("\\q"));
}

// Feeds `input` from a file and collects the records the splitter hands out.
std::vector<std::string> Split(const std::string& input, Framing framing, size_t max_bytes) {
  FILE* file = std::tmpfile();
  REQUIRE(std::fwrite(input.data(), 1, input.size(), file) == input.size());
  std::fflush(file);
  std::rewind(file);
  RecordSplitter splitter(fileno(file), framing, max_bytes);
  std::vector<std::string> records;
  InputRecord record;
  while (!splitter.done()) {
    while (splitter.NextBuffered(&record)) {
      records.push_back(record.too_large ? "TOO LARGE " + std::to_string(record.size)
                                         : std::string(record.bytes));
    }
    if (!splitter.done()) REQUIRE(splitter.Fill().ok());
  }
  std::fclose(file);
  return records;
}

TEST_CASE("RecordSplitterFraming") {
  using V = std::vector<std::string>;
  CHECK(Split("a\n\nb", Framing::kLine, 100) == V{"a", "", "b"});
  CHECK(Split("a\nb\n", Framing::kLine, 100) == V{"a", "b"});
  CHECK(Split("", Framing::kLine, 100) == V{});
  CHECK(Split(std::string("a\0b\nc\0", 6), Framing::kNul, 100) == V{"a", "b\nc"});
  CHECK(Split("a\nb\n", Framing::kRaw, 100) == V{"a\nb\n"});
  CHECK(Split("", Framing::kRaw, 100) == V{""});
  CHECK(Split("ok\n" + std::string(500, 'x') + "\nok2", Framing::kLine, 100) ==
        V{"ok", "TOO LARGE 500", "ok2"});
  CHECK(Split(std::string(3 << 20, 'x') + "\nok", Framing::kLine, 100) ==
        V{"TOO LARGE 3145728", "ok"});
  CHECK(Split(std::string(101, 'x'), Framing::kRaw, 100) == V{"TOO LARGE 101"});
}

}  // namespace
}  // namespace evlog
