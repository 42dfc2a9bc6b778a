// LastCapturedLsn (§C7.4, §C7.5): the commit LSN at or below which a streamed transaction
// is already in the log.
#include <doctest/doctest.h>

#include <stdlib.h>

#include <filesystem>
#include <string>

#include <fmt/format.h>

#include "capture/postgres/resume_position.h"
#include "eventlog/log.h"

namespace evlog::pg {
namespace {

struct TempDir {
  TempDir() {
    char name[] = "/tmp/evlog-pg-resume-test-XXXXXX";
    REQUIRE(mkdtemp(name) != nullptr);
    path = name;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string path;
};

void AppendChange(eventlog::Log& log, std::string_view op, std::string_view lsn, std::string_view source = "7301/db",
                  std::string_view xid = "771") {
  eventlog::Batch batch = log.NewBatch();
  const eventlog::HeaderView headers[] = {
      {"evlog.op", op}, {"evlog.source_id", source}, {"evlog.xid", xid}, {"evlog.lsn", lsn}};
  REQUIRE(batch.Add({.key = std::nullopt, .headers = headers, .payload = "{}"}).ok());
  REQUIRE(log.Append(batch));
}

}  // namespace

TEST_CASE("the last transaction's commit LSN; after a snapshot, the LSN just below its consistent point") {
  TempDir dir;
  auto log = eventlog::Log::Open(dir.path + "/log", {.create_if_missing = true});
  REQUIRE(log);
  CHECK(*LastCapturedLsn(**log, "7301/db") == 0);
  // Snapshot rows carry the consistent point: a commit record starting exactly there was
  // not in the snapshot and is streamed next, so it must not count as in the log (it did,
  // and that transaction was skipped).
  AppendChange(**log, "r", "1/28");
  AppendChange(**log, "r", "1/28");
  CHECK(*LastCapturedLsn(**log, "7301/db") == (Lsn{1} << 32) + 0x28 - 1);
  // Another source's events are not this one's.
  AppendChange(**log, "c", "5/0", "other/db");
  CHECK(*LastCapturedLsn(**log, "7301/db") == (Lsn{1} << 32) + 0x28 - 1);
  // A streamed transaction's own commit LSN is in the log.
  AppendChange(**log, "c", "1/30");
  CHECK(*LastCapturedLsn(**log, "7301/db") == (Lsn{1} << 32) + 0x30);
}

TEST_CASE("a transaction sent again is in the log only with its commit LSN and its xid") {
  TempDir dir;
  auto log = eventlog::Log::Open(dir.path + "/log", {.create_if_missing = true});
  REQUIRE(log);
  for (int i = 1; i <= 3000; ++i) {
    AppendChange(**log, "c", fmt::format("1/{:X}", i * 16), "7301/db", std::to_string(1000 + i));
    if (i % 7 == 0) AppendChange(**log, "c", fmt::format("9/{:X}", i), "other/db", "5");
  }
  const Lsn base = Lsn{1} << 32;
  CHECK(*HoldsTransaction(**log, "7301/db", base + 3000 * 16, 4000));  // the last
  CHECK(*HoldsTransaction(**log, "7301/db", base + 16, 1001));         // the first, read back to
  // A server restored from an older copy gives those WAL positions to new transactions:
  // another xid at a held LSN, or an LSN between two held ones, is not in the log.
  CHECK_FALSE(*HoldsTransaction(**log, "7301/db", base + 2000 * 16, 77));
  CHECK_FALSE(*HoldsTransaction(**log, "7301/db", base + 2000 * 16 + 8, 3000));
  CHECK_FALSE(*HoldsTransaction(**log, "other/db", base + 16, 1001));
}

}  // namespace evlog::pg
