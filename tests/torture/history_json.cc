// Histories and final logs as JSON lines (the format is documented in history.h).
#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "codec/base64.h"
#include "history.h"

namespace eventlog::torture {

namespace {

using nlohmann::json;

// Throws json exceptions for a missing or mistyped field; the callers turn them into messages.
uint64_t U64(const json& j, const char* field) { return j.at(field).get<uint64_t>(); }

uint64_t U64Or(const json& j, const char* field, uint64_t fallback) {
  return j.contains(field) ? U64(j, field) : fallback;
}

Outcome ParseOutcome(const json& j) {
  const std::string o = j.at("outcome").get<std::string>();
  if (o == "ack") return Outcome::kAck;
  if (o == "fail") return Outcome::kFail;
  if (o == "unknown") return Outcome::kUnknown;
  throw std::invalid_argument("outcome must be ack, fail or unknown, not '" + o + "'");
}

const char* OutcomeName(Outcome o) {
  return o == Outcome::kAck ? "ack" : o == Outcome::kFail ? "fail" : "unknown";
}

std::string Payload(const json& j);

void AddRecord(const json& j, History* h) {
  const std::string t = j.at("t").get<std::string>();
  if (t == "append") {
    AppendRecord a;
    a.producer = U64(j, "producer");
    a.seq = U64(j, "seq");
    a.events = static_cast<uint32_t>(U64(j, "events"));
    a.sync = j.value("sync", true);
    a.outcome = ParseOutcome(j);
    if (a.outcome == Outcome::kAck) a.first = U64(j, "first");
    a.start = U64(j, "start");
    a.end = U64Or(j, "end", UINT64_MAX);
    if (a.outcome == Outcome::kAck && a.end == UINT64_MAX) throw std::invalid_argument("an ack needs \"end\"");
    h->appends.push_back(a);
  } else if (t == "seen") {
    h->seen.push_back({U64(j, "consumer"), U64(j, "offset"), Payload(j), U64Or(j, "epoch", 0), U64Or(j, "at", 0)});
  } else if (t == "group_ack") {
    GroupAckRecord a{j.at("group").get<std::string>(), U64(j, "position"), ParseOutcome(j), U64(j, "start"),
                     U64Or(j, "end", UINT64_MAX)};
    h->group_acks.push_back(a);
  } else if (t == "group_read") {
    h->group_reads.push_back({j.at("group").get<std::string>(), U64(j, "position"), U64(j, "start"), U64(j, "end")});
  } else if (t == "final_group") {
    h->final_groups[j.at("group").get<std::string>()] = U64(j, "position");
  } else if (t == "compact") {
    h->compacted_below = std::max(h->compacted_below, U64(j, "below"));
  } else if (t == "power_loss") {
    const uint64_t at = U64(j, "at");
    h->power_losses.insert(std::upper_bound(h->power_losses.begin(), h->power_losses.end(), at), at);
  } else {
    throw std::invalid_argument("unknown record type \"" + t + "\"");
  }
}

bool Skipped(std::string_view line) {
  size_t first = line.find_first_not_of(" \t\r");
  return first == std::string_view::npos || line[first] == '#';
}

// Payloads go out as themselves when printable ASCII, otherwise in base64 (as `tail --json`
// does for bytes that are not UTF-8): damaged bytes must survive the round trip exactly.
void PutPayload(json* j, std::string_view payload) {
  const bool plain = std::all_of(payload.begin(), payload.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
  std::string encoded(evlog::Base64EncodedSize(payload.size()), '\0');
  evlog::Base64Encode(payload, encoded.data());
  (*j)["payload"] = plain ? std::string(payload) : encoded;
  if (!plain) (*j)["payload_encoding"] = "base64";
}

std::string Payload(const json& j) {
  std::string payload = j.at("payload").get<std::string>();
  if (j.value("payload_encoding", "") != "base64") return payload;
  std::string raw;
  if (!evlog::Base64Decode(payload, &raw)) throw std::invalid_argument("payload_encoding is base64 but the payload is not");
  return raw;
}

}  // namespace

std::string ParseHistoryLine(std::string_view line, History* history) {
  if (Skipped(line)) return "";
  try {
    AddRecord(json::parse(line), history);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

std::string ParseLogLine(std::string_view line, std::vector<LogEvent>* log) {
  if (Skipped(line)) return "";
  try {
    const json j = json::parse(line);
    log->push_back({U64(j, "offset"), Payload(j)});
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

std::string ParseGroupLine(std::string_view line, History* history) {
  if (Skipped(line)) return "";
  try {
    const json j = json::parse(line);
    history->final_groups[j.at("group").get<std::string>()] = U64(j, "position");
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

std::string HistoryToJsonLines(const History& h) {
  std::string out;
  auto line = [&](const json& j) { out += j.dump() + "\n"; };
  for (const AppendRecord& a : h.appends) {
    json j = {{"t", "append"}, {"producer", a.producer}, {"seq", a.seq},    {"events", a.events},
              {"sync", a.sync}, {"outcome", OutcomeName(a.outcome)},      {"start", a.start}};
    if (a.outcome == Outcome::kAck) j["first"] = a.first;
    if (a.end != UINT64_MAX) j["end"] = a.end;
    line(j);
  }
  for (const SeenRecord& s : h.seen) {
    json j = {{"t", "seen"}, {"consumer", s.consumer}, {"offset", s.offset}, {"epoch", s.epoch}, {"at", s.at}};
    PutPayload(&j, s.payload);
    line(j);
  }
  for (const GroupAckRecord& a : h.group_acks) {
    json j = {{"t", "group_ack"}, {"group", a.group}, {"position", a.position}, {"outcome", OutcomeName(a.outcome)},
              {"start", a.start}};
    if (a.end != UINT64_MAX) j["end"] = a.end;
    line(j);
  }
  for (const GroupReadRecord& r : h.group_reads) {
    line({{"t", "group_read"}, {"group", r.group}, {"position", r.position}, {"start", r.start}, {"end", r.end}});
  }
  for (const auto& [group, position] : h.final_groups) {
    line({{"t", "final_group"}, {"group", group}, {"position", position}});
  }
  if (h.compacted_below > 0) line({{"t", "compact"}, {"below", h.compacted_below}});
  for (uint64_t at : h.power_losses) line({{"t", "power_loss"}, {"at", at}});
  return out;
}

std::string LogToJsonLines(const std::vector<LogEvent>& log) {
  std::string out;
  for (const LogEvent& e : log) {
    json j = {{"offset", e.offset}};
    PutPayload(&j, e.payload);
    out += j.dump() + "\n";
  }
  return out;
}

}  // namespace eventlog::torture
