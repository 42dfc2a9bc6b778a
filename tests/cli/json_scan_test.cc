// json_scan decodes common strings and scalars on a fast path of its own and hands the rest
// to nlohmann's parser. These tests hold the two to one behaviour: for every input, the
// same verdict (accepted or refused) and the same decoded bytes as nlohmann's own parse.
// The other way, what AppendJsonString writes must read back through nlohmann as the input.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <optional>
#include <random>
#include <string>

#include "codec/json_envelope.h"
#include "codec/json_scan.h"
#include "codec/output_buffer.h"
#include "output_capture.h"

namespace evlog {
namespace {

// nlohmann's reading of raw as one JSON string, or nullopt if it refuses it.
std::optional<std::string> ReferenceString(const std::string& raw) {
  try {
    nlohmann::json value = nlohmann::json::parse(raw);
    if (!value.is_string()) return std::nullopt;
    return value.get<std::string>();
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

bool ReferenceAccepts(const std::string& raw) {
  return nlohmann::json::accept(raw);
}

// Random strings in quotes, built from pieces that exercise both paths: plain ASCII, every
// escape JSON has and some it has not, \u escapes with and without surrogate pairs, UTF-8
// valid and not, control bytes, DEL, and stray quotes and backslashes.
std::string RandomQuotedString(std::mt19937& random) {
  static const char* const kPieces[] = {
      "a", "Z", "0", " ", "~", "\x7f", "{\\\"k\\\":1}", "\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r",
      "\\t", "\\a", "\\x", "\\u0041", "\\u00e9", "\\ud83d\\ude00", "\\ud83d", "\\ude00", "\\u12", "\\uZZZZ",
      "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xc3", "\xff", "\x80", "\x01", "\x1f", "\t", "\n", "\"",
      "\\"};
  std::string s = "\"";
  const int pieces = std::uniform_int_distribution<int>(0, 8)(random);
  for (int i = 0; i < pieces; ++i) {
    s += kPieces[std::uniform_int_distribution<size_t>(0, std::size(kPieces) - 1)(random)];
  }
  if (std::uniform_int_distribution<int>(0, 9)(random) != 0) s += '"';  // sometimes unterminated
  return s;
}

TEST_CASE("DecodeJsonStringAgreesWithTheReferenceParser") {
  std::mt19937 random(20261202);
  int fast_path_inputs = 0;
  for (int round = 0; round < 100000; ++round) {
    const std::string raw = RandomQuotedString(random);
    CAPTURE(raw);
    const std::optional<std::string> expected = ReferenceString(raw);
    std::string decoded = "left over";
    const bool ok = DecodeJsonString(raw, 0, &decoded).ok();
    REQUIRE(ok == expected.has_value());
    if (ok) {
      REQUIRE(decoded == *expected);
      const bool printable = std::all_of(raw.begin(), raw.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
      if (printable && raw.find("\\u") == std::string::npos) ++fast_path_inputs;
    }
    REQUIRE(ValidateJson(raw, 0).ok() == ReferenceAccepts(raw));
    if (ok) {
      // As a member value, a valid string is handed out whole: its end is found by the
      // scanner that skips escaped quotes, before any parser sees it.
      std::string handed_out;
      eventlog::Status walked = ForEachMember("{\"k\":" + raw + ",\"z\":1}", 0, [&](const std::string& name, std::string_view value) {
        if (name == "k") handed_out = value;
        return eventlog::Status::Ok();
      });
      REQUIRE(walked.ok());
      REQUIRE(handed_out == raw.substr(0, raw.find_last_not_of(" \t\r\n") + 1));  // the parser allows trailing space
    }
    // The walk that decodes while it finds a string's end: the same raw text, and a decoded
    // string only where it is the reference's decoding of the text handed out (which, for
    // an unterminated `raw`, runs on into the next member), never for text it refuses.
    {
      std::string scratch = "left over from an earlier member";
      std::string handed_out;
      std::optional<std::string> decoded_by_walk;
      eventlog::Status walked = ForEachMemberDecoded(
          "{\"k\":" + raw + ",\"z\":\"after\"}", 0, &scratch,
          [&](const std::string& name, std::string_view value, std::string* decoded) {
            if (name == "k") {
              handed_out = value;
              if (decoded != nullptr) decoded_by_walk = *decoded;
            }
            if (name == "z") REQUIRE((decoded != nullptr && *decoded == "after"));
            return eventlog::Status::Ok();
          });
      if (decoded_by_walk) {
        const std::optional<std::string> reference = ReferenceString(handed_out);
        REQUIRE(reference.has_value());
        REQUIRE(*decoded_by_walk == *reference);
      }
      if (ok) {
        REQUIRE(walked.ok());
        REQUIRE(handed_out == raw.substr(0, raw.find_last_not_of(" \t\r\n") + 1));
      }
    }
    // And as an envelope's key and payload, which DecodeEnvelope takes from that walk.
    {
      DecodedEnvelope envelope;
      const eventlog::Status read = DecodeEnvelope("{\"key\":" + raw + ",\"payload\":" + raw + "}", &envelope);
      REQUIRE(read.ok() == ok);
      if (ok) {
        REQUIRE(envelope.has_key);
        REQUIRE(envelope.key == *expected);
        REQUIRE(envelope.payload == *expected);
      }
    }
  }
  CHECK(fast_path_inputs > 1000);  // the comparison covered the fast path, not only the fallback
}

TEST_CASE("ValidateJsonAgreesWithTheReferenceParserOnScalars") {
  for (const char* raw : {"0", "-0", "7", "-12", "123456789012345", "1234567890123456", "99999999999999999999",
                          "01", "-", "--1", "1.5", "1e5", "1e999", "-1e999", "+1", "0x10", "null", "true", "false",
                          "nul", "True", "", " 1", "1 ", "\"\"", "\"a\" ", " \"a\""}) {
    CAPTURE(raw);
    CHECK(ValidateJson(raw, 0).ok() == ReferenceAccepts(raw));
  }
}

TEST_CASE("ForEachMemberRefusesARepeatedNameAmongManyMembers") {
  // Names are listed, then hashed past a handful: a repeat must be caught on either side.
  for (int members : {2, 15, 16, 17, 40}) {
    for (int repeat_of : {0, members - 1}) {
      std::string object = "{";
      for (int i = 0; i < members; ++i) object += "\"m" + std::to_string(i) + "\":1,";
      object += "\"m" + std::to_string(repeat_of) + "\":2}";
      CAPTURE(object);
      eventlog::Status status = ForEachMember(object, 0, [](const std::string&, std::string_view) {
        return eventlog::Status::Ok();
      });
      CHECK_FALSE(status.ok());
      CHECK(status.message().find("appears twice") != std::string::npos);
    }
  }
}

// Member names are read on a path of their own (a name needing no decoding is taken as it
// stands): the same names, and the same verdicts, as the reference parser's.
TEST_CASE("ForEachMemberReadsNamesAsTheReferenceParserDoes") {
  std::mt19937 random(20261203);
  for (int i = 0; i < 20000; ++i) {
    const std::string object = "{" + RandomQuotedString(random) + ":1}";
    CAPTURE(object);
    std::optional<std::string> reference;
    try {
      nlohmann::json value = nlohmann::json::parse(object);
      reference = value.begin().key();
    } catch (const nlohmann::json::exception&) {
    }
    std::string name;
    eventlog::Status status = ForEachMember(object, 0, [&](const std::string& n, std::string_view) {
      name = n;
      return eventlog::Status::Ok();
    });
    REQUIRE(status.ok() == reference.has_value());
    if (reference) CHECK(name == *reference);
  }
  // The same name spelt with and without an escape is a repeat.
  eventlog::Status repeated = ForEachMember(R"({"k\u0065y":1,"key":2})", 0, [](const std::string&, std::string_view) {
    return eventlog::Status::Ok();
  });
  CHECK(repeated.message().find("member \"key\" appears twice") != std::string::npos);
}

// What AppendJsonString writes through an OutputBuffer of `capacity` bytes.
std::string EncodedThroughBuffer(const std::string& text, size_t capacity) {
  return CaptureOutput([&](OutputBuffer& out) { AppendJsonString(text, out); }, capacity);
}

TEST_CASE("AppendJsonStringReadsBackThroughTheReferenceParser") {
  // Every byte below 0x80 (controls, quotes, backslashes, DEL) and valid UTF-8, in runs
  // long and short, so that both the 8-byte steps and the byte steps meet every escape;
  // buffers of 7 and 16 bytes cut the text into pieces of one and two bytes.
  static const char* const kPieces[] = {"abcdefgh", "ijklmnopqrstuvwx", "\"", "\\", "\"\\\"", "\n", "\r", "\t",
                                        "\b", "\f", "\x01", "\x1f", "\x7f", "/", "\xc3\xa9", "\xf0\x9f\x98\x80", " "};
  std::mt19937 random(7);
  for (int round = 0; round < 3000; ++round) {
    std::string text;
    const int pieces = std::uniform_int_distribution<int>(0, 12)(random);
    for (int i = 0; i < pieces; ++i) text += kPieces[std::uniform_int_distribution<size_t>(0, std::size(kPieces) - 1)(random)];
    if (round % 7 == 0) text += static_cast<char>(std::uniform_int_distribution<int>(0, 0x7f)(random));
    CAPTURE(text);
    std::string in_memory;
    AppendJsonString(text, &in_memory);
    REQUIRE(ReferenceString(in_memory) == text);
    for (size_t capacity : {7, 16, 1 << 20}) REQUIRE(EncodedThroughBuffer(text, capacity) == in_memory);
  }
}

}  // namespace
}  // namespace evlog
