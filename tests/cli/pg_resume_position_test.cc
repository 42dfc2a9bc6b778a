// LastCapturedLsn (§C7.4, §C7.5): the commit LSN at or below which a streamed transaction
// is already in the log.
#include <doctest/doctest.h>

#include <stdlib.h>

#include <filesystem>
#include <string>

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

void AppendChange(eventlog::Log& log, std::string_view op, std::string_view lsn, std::string_view source = "7301/db") {
  eventlog::Batch batch = log.NewBatch();
  const eventlog::HeaderView headers[] = {{"evlog.op", op}, {"evlog.source_id", source}, {"evlog.lsn", lsn}};
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

}  // namespace evlog::pg
