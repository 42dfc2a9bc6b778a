// The NATS header mapping of format-spec/bridge.md §B4: what travels as it is, what goes in
// base64, and that decoding gives back every key and header in order.
#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>

#include "bridge/nats/nats_message_codec.h"

namespace evlog {
namespace {

using eventlog::HeaderView;

// The wire headers as libnats hands them back: grouped by name, values in order, names in
// `name_order` (NATS does not keep the order between names).
std::vector<WireHeaderGroup> Group(const WireHeaders& wire, const std::vector<std::string>& name_order) {
  std::vector<WireHeaderGroup> groups;
  for (const std::string& name : name_order) {
    WireHeaderGroup group{name, {}};
    for (const auto& [n, v] : wire)
      if (n == name) group.values.push_back(v);
    if (!group.values.empty()) groups.push_back(group);
  }
  return groups;
}

std::vector<std::string> NamesOf(const WireHeaders& wire, bool reversed) {
  std::vector<std::string> names;
  for (const auto& [n, v] : wire)
    if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
  if (reversed) std::reverse(names.begin(), names.end());
  return names;
}

DecodedNatsEvent RoundTrip(std::optional<std::string_view> key, std::vector<HeaderView> headers, bool reversed) {
  WireHeaders wire;
  EncodeNatsEvent(key, headers, &wire);
  DecodedNatsEvent decoded;
  const std::vector<std::string> names = NamesOf(wire, reversed);
  const auto groups = Group(wire, names);
  REQUIRE(DecodeNatsEvent(groups, &decoded).ok());
  return decoded;
}

std::vector<std::pair<std::string, std::string>> Pairs(const std::vector<HeaderView>& headers) {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const HeaderView& header : headers) pairs.emplace_back(header.name, header.value);
  return pairs;
}

TEST_CASE("SafeTextTravelsAsItIs") {
  WireHeaders wire;
  std::vector<HeaderView> headers{{"source", "web app"}};
  EncodeNatsEvent("user-7", headers, &wire);
  CHECK(wire == WireHeaders{{"evlog.key", "user-7"}, {"source", "web app"}});
}

TEST_CASE("KeysMissingEmptyAndBinaryAreDistinct") {
  WireHeaders wire;
  EncodeNatsEvent(std::nullopt, {}, &wire);
  CHECK(wire.empty());
  EncodeNatsEvent("", {}, &wire);
  CHECK(wire == WireHeaders{{"evlog.key-empty", "true"}});
  wire.clear();
  EncodeNatsEvent(std::string_view("\0\r\n", 3), {}, &wire);
  CHECK(wire == WireHeaders{{"evlog.key-base64", "AA0K"}});
  for (std::optional<std::string_view> key : {std::optional<std::string_view>(), std::optional<std::string_view>(""),
                                              std::optional<std::string_view>(" k "),
                                              std::optional<std::string_view>("\xff")}) {
    CHECK(RoundTrip(key, {}, false).key == (key ? std::optional<std::string>(*key) : std::nullopt));
  }
}

TEST_CASE("UnsafeOrReservedHeadersGoInBase64") {
  CHECK_FALSE(IsSafeNatsName("Nats-Rollup"));
  CHECK_FALSE(IsSafeNatsName("nats-expected-stream"));
  CHECK_FALSE(IsSafeNatsName("evlog.offset"));
  CHECK_FALSE(IsSafeNatsName("a:b"));
  CHECK_FALSE(IsSafeNatsName(""));
  CHECK(IsSafeNatsName("X-Trace_id.1"));
  CHECK_FALSE(IsSafeNatsValue(""));
  CHECK_FALSE(IsSafeNatsValue(" lead"));
  CHECK_FALSE(IsSafeNatsValue("a\r\nb"));
  CHECK_FALSE(IsSafeNatsValue("\xc3"));
  CHECK(IsSafeNatsValue("caf\xc3\xa9 au lait"));
  WireHeaders wire;
  std::vector<HeaderView> headers{{"Nats-Rollup", "all"}};
  EncodeNatsEvent(std::nullopt, headers, &wire);
  CHECK(wire == WireHeaders{{"evlog.header-base64", "TmF0cy1Sb2xsdXA=,YWxs"}});
}

// libnats's and nats.go's pull fetch take a message with an empty payload and a Status
// header for a JetStream status and drop it; Description is that status's text.
TEST_CASE("StatusAndDescriptionGoInBase64InAnyCase") {
  for (std::string_view name : {"Status", "status", "STATUS", "Description", "description"})
    CHECK_FALSE(IsSafeNatsName(name));
  CHECK(IsSafeNatsName("Statuses"));
  CHECK(IsSafeNatsName("X-Status"));
  CHECK(IsSafeNatsName("Descriptions"));
  WireHeaders wire;
  std::vector<HeaderView> headers{{"Status", "shipped"}, {"x", "y"}, {"description", "404 No Messages"}};
  EncodeNatsEvent(std::nullopt, headers, &wire);
  CHECK(wire == WireHeaders{{"evlog.header-base64", "U3RhdHVz,c2hpcHBlZA=="},
                            {"x", "y"},
                            {"evlog.header-base64", "ZGVzY3JpcHRpb24=,NDA0IE5vIE1lc3NhZ2Vz"},
                            {"evlog.header-order", "evlog.header-base64 x evlog.header-base64"}});
  for (bool reversed : {false, true}) {
    DecodedNatsEvent decoded = RoundTrip(std::nullopt, headers, reversed);
    CHECK(decoded.headers == std::vector<std::pair<std::string, std::string>>{
                                 {"Status", "shipped"}, {"x", "y"}, {"description", "404 No Messages"}});
  }
}

// JetStream searches the header block for the text Nats-Msg-Id, and only the first
// occurrence counts: one in another header, written before the real one, hid the message id
// and defeated deduplication. No wire name or value may contain it, in any case.
TEST_CASE("NoNameValueOrKeyOnTheWireMentionsNatsMsgId") {
  CHECK_FALSE(IsSafeNatsName("X-Nats-Msg-Id-Ref"));
  CHECK_FALSE(IsSafeNatsName("x-nats-msg-id"));
  CHECK_FALSE(IsSafeNatsValue("see Nats-Msg-Id"));
  CHECK_FALSE(IsSafeNatsValue("NATS-MSG-ID:1"));
  CHECK(IsSafeNatsName("X-Nats-Msg"));
  CHECK(IsSafeNatsValue("Nats-Msg Id"));
  const std::string_view key = "Nats-Msg-Id1";
  std::vector<HeaderView> headers{{"note", "see Nats-Msg-Id"}, {"X-Nats-Msg-Id-Ref", "7"}, {"b", "nats-msg-id"},
                                  {"plain", "v"}};
  WireHeaders wire;
  EncodeNatsEvent(key, headers, &wire);
  CHECK(wire.front() == std::pair<std::string, std::string>{"evlog.key-base64", "TmF0cy1Nc2ctSWQx"});
  auto lower = [](std::string text) {
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
  };
  for (const auto& [name, value] : wire) {
    CHECK(lower(name).find("nats-msg-id") == std::string::npos);
    CHECK(lower(value).find("nats-msg-id") == std::string::npos);
  }
  CHECK(wire.back() ==
        std::pair<std::string, std::string>{
            "evlog.header-order", "evlog.header-base64 evlog.header-base64 evlog.header-base64 plain"});
  for (bool reversed : {false, true}) {
    DecodedNatsEvent decoded = RoundTrip(key, headers, reversed);
    CHECK(decoded.key == std::optional<std::string>(key));
    CHECK(decoded.headers == Pairs(headers));
  }
}

TEST_CASE("HeaderOrderSurvivesGroupingByName") {
  std::vector<HeaderView> headers{{"b", "2"}, {"a", "1"}, {"b", "3"}, {"", ""}, {"nl", "x\ny"}};
  for (bool reversed : {false, true}) {
    DecodedNatsEvent decoded = RoundTrip("k", headers, reversed);
    REQUIRE(decoded.headers.size() == headers.size());
    for (size_t i = 0; i < headers.size(); ++i) {
      CHECK(decoded.headers[i].first == headers[i].name);
      CHECK(decoded.headers[i].second == headers[i].value);
    }
  }
  WireHeaders wire;
  std::vector<HeaderView> one_name{{"a", "1"}, {"a", "2"}};
  EncodeNatsEvent(std::nullopt, one_name, &wire);
  CHECK(wire.size() == 2);  // one name: no order header needed
}

TEST_CASE("ServerHeadersAreNotTheEvents") {
  std::vector<WireHeaderGroup> groups{{"Nats-Msg-Id", {"x:1"}}, {"evlog.offset", {"1"}}, {"h", {"v"}}};
  DecodedNatsEvent decoded;
  REQUIRE(DecodeNatsEvent(groups, &decoded).ok());
  CHECK(decoded.headers == std::vector<std::pair<std::string, std::string>>{{"h", "v"}});
  CHECK(decoded.bridge_headers == std::vector<std::pair<std::string, std::string>>{{"evlog.offset", "1"}});
}

TEST_CASE("AnEventsOwnHeaderWithABridgeHeadersNameStaysTheEvents") {
  std::vector<HeaderView> own{{"evlog.offset", "mine"}, {"h", "v"}};
  WireHeaders wire;
  EncodeNatsEvent(std::nullopt, own, &wire);
  wire.emplace_back("evlog.offset", "7");  // the bridge's, added by the sink
  std::vector<WireHeaderGroup> groups;
  for (const auto& header : wire) {
    const std::string& name = header.first;  // a plain variable: lambdas may not capture bindings in C++20
    auto it = std::find_if(groups.begin(), groups.end(), [&](const WireHeaderGroup& g) { return g.name == name; });
    if (it == groups.end()) it = groups.insert(groups.end(), WireHeaderGroup{name, {}});
    it->values.push_back(header.second);
  }
  DecodedNatsEvent decoded;
  REQUIRE(DecodeNatsEvent(groups, &decoded).ok());
  CHECK(decoded.headers == std::vector<std::pair<std::string, std::string>>{{"evlog.offset", "mine"}, {"h", "v"}});
  CHECK(decoded.bridge_headers == std::vector<std::pair<std::string, std::string>>{{"evlog.offset", "7"}});
}

TEST_CASE("MalformedEncodingsAreErrors") {
  DecodedNatsEvent decoded;
  std::vector<WireHeaderGroup> bad_key{{"evlog.key-base64", {"***"}}};
  CHECK(DecodeNatsEvent(bad_key, &decoded).code() == eventlog::StatusCode::kInvalidArgument);
  std::vector<WireHeaderGroup> bad_pair{{"evlog.header-base64", {"YQ=="}}};
  CHECK(DecodeNatsEvent(bad_pair, &decoded).code() == eventlog::StatusCode::kInvalidArgument);
  std::vector<WireHeaderGroup> bad_order{{"a", {"1"}}, {"evlog.header-order", {"a a"}}};
  CHECK(DecodeNatsEvent(bad_order, &decoded).code() == eventlog::StatusCode::kInvalidArgument);
}

// The fingerprints below were computed with python3-xxhash from the bytes format-spec/
// bridge.md §B4 lists, not with this code: the first is the spec's example.
TEST_CASE("FingerprintsMatchTheSpecsEncodingHashedElsewhere") {
  const HeaderView headers[] = {{"b", "2"}, {"a", "1"}, {"b", "3"}, {"Nats-Rollup", "all"}};
  eventlog::Event example{.offset = 12, .timestamp_ns = 1764633600000000000, .key = "user 7", .headers = headers,
                          .payload = R"({"total":42})"};
  CHECK(NatsEventFingerprint(example) == 0xc78ab83c46cbad6aULL);
  CHECK(NatsEventFingerprint(eventlog::Event{}) == 0x5f51d22ec7704ee3ULL);
  const HeaderView empty_header[] = {{"", ""}};
  eventlog::Event odd{.timestamp_ns = -1, .key = "", .headers = empty_header, .payload = std::string_view("\0\xff", 2)};
  CHECK(NatsEventFingerprint(odd) == 0x4bdb7f5cc5c66bb4ULL);
}

TEST_CASE("EveryPartOfAnEventChangesItsFingerprintButNotItsOffset") {
  const HeaderView ab_c[] = {{"ab", "c"}};
  const HeaderView a_bc[] = {{"a", "bc"}};
  const eventlog::Event base{.offset = 5, .timestamp_ns = 7, .key = "k", .headers = ab_c, .payload = "p"};
  const uint64_t fingerprint = NatsEventFingerprint(base);
  eventlog::Event e = base;
  e.offset = 6;  // the offset is in the message id already; a fork's events share it
  CHECK(NatsEventFingerprint(e) == fingerprint);
  e = base;
  e.timestamp_ns = 8;
  CHECK(NatsEventFingerprint(e) != fingerprint);
  e = base;
  e.key = std::nullopt;
  const uint64_t without_key = NatsEventFingerprint(e);
  CHECK(without_key != fingerprint);
  e.key = "";
  CHECK(NatsEventFingerprint(e) != without_key);  // no key and the empty key differ
  CHECK(NatsEventFingerprint(e) != fingerprint);
  e = base;
  e.headers = a_bc;  // lengths are hashed: the bytes move between name and value
  CHECK(NatsEventFingerprint(e) != fingerprint);
  e = base;
  e.headers = {};
  CHECK(NatsEventFingerprint(e) != fingerprint);
  e = base;
  e.payload = "q";
  CHECK(NatsEventFingerprint(e) != fingerprint);
}

}  // namespace
}  // namespace evlog
