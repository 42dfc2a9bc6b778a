// producer LOG ITEM...: appends one order event per ITEM as one batch, all or nothing.
//
// The batch is appended only if the log still ends where the producer last looked
// (expect_next): a producer that decides what to write from what it has read, say a
// sequence number in each payload, learns with kConflict that another process appended in
// between, and reads again instead of writing a stale decision.
#include <cstdio>
#include <string>
#include <vector>

#include "eventlog/log.h"

namespace {

int Fail(const eventlog::Status& status) {
  std::fprintf(stderr, "producer: %s\n", status.message().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: producer LOG ITEM...\n");
    return 2;
  }
  auto log = eventlog::Log::Open(argv[1], {.create_if_missing = true});
  if (!log) return Fail(log.error());

  for (int attempt = 1; attempt <= 5; ++attempt) {
    auto info = (*log)->Info();
    if (!info) return Fail(info.error());
    uint64_t next = info->next_offset;

    // Views passed to Add() need only live until it returns: it copies the bytes.
    eventlog::Batch batch = (*log)->NewBatch();
    for (int i = 2; i < argc; ++i) {
      std::string key = "order-" + std::to_string(next + (i - 2));
      std::string payload = "{\"item\":\"" + std::string(argv[i]) + "\"}";
      eventlog::HeaderView source[] = {{"source", "producer-example"}};
      eventlog::Status added = batch.Add({.key = key, .headers = source, .payload = payload});
      if (!added.ok()) return Fail(added);
    }

    auto appended = (*log)->Append(batch, {.expect_next = next});
    if (appended) {
      std::printf("appended %llu events at offsets %llu..%llu\n", (unsigned long long)appended->count,
                  (unsigned long long)appended->first_offset,
                  (unsigned long long)(appended->first_offset + appended->count - 1));
      return 0;
    }
    if (appended.error().code() != eventlog::StatusCode::kConflict) return Fail(appended.error());
    std::printf("another producer appended first; reading again\n");
  }
  std::fprintf(stderr, "producer: the log kept moving; gave up after 5 attempts\n");
  return 1;
}
