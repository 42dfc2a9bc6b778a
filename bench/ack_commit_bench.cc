// Durable acks against the floor under them: ConsumerGroups::Ack (one durable LMDB write
// transaction per call, as `evlog ack` makes for each offset it reads) against LMDB's own
// commit rate, a write transaction that puts one 8-byte position and commits, in an
// environment opened as the group store opens its own (MDB_NOTLS, no MDB_NOSYNC).
//
//   evlog_bench_acks --dir DIR [--count N (10000)] [--warmup W (50)]
//
// DIR must exist; the program creates DIR/acks-log (a log of N+W events, whose group store
// takes the acks) and DIR/acks-lmdb (a bare LMDB environment), and leaves both for the
// caller to remove. The two sides alternate call by call so that both see the same device
// state; each side's rate is its count over the sum of its own calls. Prints key=value lines.

#include <lmdb.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "bench_common.h"
#include "eventlog/batch.h"
#include "eventlog/consumer_groups.h"
#include "eventlog/log.h"

namespace {

using evlog_bench::Die;
using evlog_bench::ParseCount;

void CheckLmdb(int rc, const char* what) {
  if (rc != 0) Die(std::string(what) + ": " + mdb_strerror(rc));
}

// The floor: one write transaction per position, as small as a durable LMDB write gets.
class BareLmdb {
 public:
  explicit BareLmdb(const std::string& dir) {
    std::filesystem::create_directories(dir);
    CheckLmdb(mdb_env_create(&env_), "mdb_env_create");
    CheckLmdb(mdb_env_set_mapsize(env_, 1 << 20), "mdb_env_set_mapsize");
    CheckLmdb(mdb_env_open(env_, dir.c_str(), MDB_NOTLS, 0644), "mdb_env_open");
    MDB_txn* txn = nullptr;
    CheckLmdb(mdb_txn_begin(env_, nullptr, 0, &txn), "mdb_txn_begin");
    CheckLmdb(mdb_dbi_open(txn, nullptr, 0, &dbi_), "mdb_dbi_open");
    CheckLmdb(mdb_txn_commit(txn), "mdb_txn_commit");
  }
  ~BareLmdb() { mdb_env_close(env_); }

  void Put(uint64_t position) {
    MDB_txn* txn = nullptr;
    CheckLmdb(mdb_txn_begin(env_, nullptr, 0, &txn), "mdb_txn_begin");
    MDB_val key{5, const_cast<char*>("group")};
    MDB_val value{sizeof position, &position};
    CheckLmdb(mdb_put(txn, dbi_, &key, &value, 0), "mdb_put");
    CheckLmdb(mdb_txn_commit(txn), "mdb_txn_commit");
  }

 private:
  MDB_env* env_ = nullptr;
  MDB_dbi dbi_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  std::string dir;
  uint64_t count = 10000;
  uint64_t warmup = 50;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (i + 1 >= argc) Die("usage: evlog_bench_acks --dir DIR [--count N] [--warmup W]");
    if (arg == "--dir") {
      dir = argv[++i];
    } else if (arg == "--count") {
      count = ParseCount("--count", argv[++i]);
    } else if (arg == "--warmup") {
      warmup = ParseCount("--warmup", argv[++i]);
    } else {
      Die("unknown argument " + std::string(arg));
    }
  }
  if (dir.empty() || count == 0) Die("usage: evlog_bench_acks --dir DIR [--count N] [--warmup W]");
  const std::string log_dir = dir + "/acks-log";
  std::error_code ignored;
  std::filesystem::remove_all(log_dir, ignored);
  std::filesystem::remove_all(dir + "/acks-lmdb", ignored);

  // Acks must name offsets the log holds: one batch of tiny events, made durable once.
  auto log = eventlog::Log::Open(log_dir, {.create_if_missing = true});
  if (!log) Die("open " + log_dir + ": " + log.error().message());
  eventlog::Batch batch = (*log)->NewBatch();
  for (uint64_t i = 0; i < count + warmup; ++i) {
    if (!batch.Add({.payload = "e"}).ok()) Die("batch add failed");
  }
  if (!(*log)->Append(batch)) Die("append failed");
  auto groups = eventlog::ConsumerGroups::Open(**log);
  if (!groups) Die("group store: " + groups.error().message());
  BareLmdb bare(dir + "/acks-lmdb");

  std::vector<double> ack_us, bare_us;
  evlog_bench::TimeInterleaved(
      count, warmup,
      [&](uint64_t i) {
        auto acked = (*groups)->Ack("bench", i);
        if (!acked) Die("ack: " + acked.error().message());
      },
      [&](uint64_t i) { bare.Put(i + 1); }, &ack_us, &bare_us);
  auto info = (*groups)->Get("bench");
  if (!info || info->position != count + warmup) Die("the group's position is not the last ack + 1");

  evlog_bench::PrintSideBySide("ack", "lmdb", ack_us, bare_us);
  return 0;
}
