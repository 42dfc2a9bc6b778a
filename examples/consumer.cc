// consumer LOG GROUP: processes every event that GROUP has not processed yet, acking each
// one after it is processed; the next run starts where this one stopped.
//
// Acking after processing gives at-least-once delivery: a crash between the two means the
// event is processed again by the next run, never skipped.
#include <cstdio>
#include <string>

#include "eventlog/consumer_groups.h"
#include "eventlog/log.h"

namespace {

int Fail(const eventlog::Status& status) {
  std::fprintf(stderr, "consumer: %s\n", status.message().c_str());
  return 1;
}

void Process(const eventlog::Event& event) {
  std::string key = event.key ? std::string(*event.key) : "(no key)";
  std::printf("processing offset %llu key %s: %.*s\n", (unsigned long long)event.offset, key.c_str(),
              (int)event.payload.size(), event.payload.data());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: consumer LOG GROUP\n");
    return 2;
  }
  const std::string group = argv[2];
  auto log = eventlog::Log::Open(argv[1], {});
  if (!log) return Fail(log.error());
  auto groups = eventlog::ConsumerGroups::Open(**log);
  if (!groups) return Fail(groups.error());
  auto position = (*groups)->Get(group);
  if (!position) return Fail(position.error());

  auto reader = (*log)->NewReader();
  if (!reader) return Fail(reader.error());
  eventlog::Status sought = (*reader)->SeekToOffset(position->position);
  if (!sought.ok()) return Fail(sought);

  uint64_t processed = 0;
  eventlog::Event event;
  for (;;) {
    auto more = (*reader)->Next(&event);
    if (!more) return Fail(more.error());
    if (!*more) break;  // the committed end: a follower would WaitForAppend() here
    Process(event);
    auto acked = (*groups)->Ack(group, event.offset);
    if (!acked) return Fail(acked.error());
    ++processed;
  }
  auto now = (*groups)->Get(group);
  if (!now) return Fail(now.error());
  std::printf("group %s: processed %llu events; position %llu\n", group.c_str(), (unsigned long long)processed,
              (unsigned long long)now->position);
  return 0;
}
