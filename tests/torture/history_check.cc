// history_check: the torture suite's checker for drivers of real `evlog` processes.
//
//   history_check --log FINAL.jsonl [--groups GROUPS.jsonl] HISTORY.jsonl...
//       check; exit 0 when clean, 1 on any violation (each printed on a line of its own)
//   history_check payload PRODUCER SEQ INDEX COUNT [SIZE]
//       print an encoded payload (history.h), for drivers written in shell
//
// FINAL.jsonl is `evlog tail --json --from beginning LOG` taken after the run, GROUPS.jsonl
// `evlog groups --json LOG`; each HISTORY file holds JSON lines in the format of history.h
// (several recorders may write one file each, with one shared logical clock). Exit status 2
// for unusable arguments or input.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "history.h"

namespace {

using eventlog::torture::History;
using eventlog::torture::LogEvent;

constexpr const char* kUsage =
    "usage: history_check --log FINAL.jsonl [--groups GROUPS.jsonl] HISTORY.jsonl...\n"
    "       history_check payload PRODUCER SEQ INDEX COUNT [SIZE]\n";

// Feeds each line of `path` to `parse`; prints the first bad line and returns false.
template <typename Parse>
bool ReadLines(const std::string& path, Parse parse) {
  std::ifstream in(path);
  if (!in) {
    fmt::print(stderr, "history_check: cannot read {}\n", path);
    return false;
  }
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    std::string error = parse(line);
    if (!error.empty()) {
      fmt::print(stderr, "history_check: {}:{}: {}\n", path, number, error);
      return false;
    }
  }
  return true;
}

int PrintPayload(int argc, char** argv) {
  if (argc != 6 && argc != 7) {
    fmt::print(stderr, "{}", kUsage);
    return 2;
  }
  eventlog::torture::PayloadId id;
  id.producer = std::strtoull(argv[2], nullptr, 10);
  id.seq = std::strtoull(argv[3], nullptr, 10);
  id.index = static_cast<uint32_t>(std::strtoul(argv[4], nullptr, 10));
  id.count = static_cast<uint32_t>(std::strtoul(argv[5], nullptr, 10));
  const size_t size = argc == 7 ? std::strtoull(argv[6], nullptr, 10) : 0;
  if (id.index >= id.count) {
    fmt::print(stderr, "history_check: INDEX must be below COUNT\n");
    return 2;
  }
  fmt::print("{}\n", eventlog::torture::EncodePayload(id, size));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::string(argv[1]) == "payload") return PrintPayload(argc, argv);
  if (argc < 4 || std::string(argv[1]) != "--log") {
    fmt::print(stderr, "{}", kUsage);
    return 2;
  }
  std::vector<LogEvent> log;
  if (!ReadLines(argv[2], [&](const std::string& line) { return eventlog::torture::ParseLogLine(line, &log); })) {
    return 2;
  }
  History history;
  int first_history = 3;
  if (argc >= 6 && std::string(argv[3]) == "--groups") {
    if (!ReadLines(argv[4], [&](const std::string& line) { return ParseGroupLine(line, &history); })) return 2;
    first_history = 5;
  }
  for (int i = first_history; i < argc; ++i) {
    if (!ReadLines(argv[i], [&](const std::string& line) { return ParseHistoryLine(line, &history); })) return 2;
  }
  const auto violations = Check(history, log);
  for (const auto& v : violations) fmt::print("VIOLATION {}: {}\n", v.invariant, v.detail);
  fmt::print("history_check: {} appends, {} reads, {} events in the log, {} violations\n", history.appends.size(),
             history.seen.size(), log.size(), violations.size());
  return violations.empty() ? 0 : 1;
}
