// Consumer groups (format-spec §11). LMDB does its own file I/O, so these tests use a real
// temporary directory rather than the fault-injecting file system. The stale-reader tests
// drive LMDB directly from forked processes, the way another program sharing LOG/groups
// would, and kill them with SIGKILL inside a read transaction.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <lmdb.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "eventlog/consumer_groups.h"
#include "eventlog/log.h"
#include "fault_file_system.h"

namespace eventlog::test {
namespace {

class GroupsLog {
 public:
  GroupsLog() {
    std::string pattern = (std::filesystem::temp_directory_path() / "evlog-groups-test.XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    root_ = pattern;
    Reopen();
  }
  ~GroupsLog() {
    Close();
    std::filesystem::remove_all(root_);
  }

  std::string dir() const { return root_ + "/log"; }
  std::string groups_dir() const { return dir() + "/groups"; }
  Log& log() { return *log_; }

  void Close() {
    groups_.reset();
    log_.reset();
  }
  void Reopen() {
    Close();
    auto log = Log::Open(dir(), {.create_if_missing = true});
    REQUIRE_MESSAGE(log.has_value(), log.status().message());
    log_ = std::move(log).value();
  }
  void Append(int count) {
    Batch batch = log_->NewBatch();
    for (int i = 0; i < count; ++i) REQUIRE(batch.Add({.payload = "event"}).ok());
    REQUIRE(log_->Append(batch).has_value());
  }
  ConsumerGroups& groups() {
    if (!groups_) {
      auto groups = ConsumerGroups::Open(*log_);
      REQUIRE_MESSAGE(groups.has_value(), groups.status().message());
      groups_ = std::move(groups).value();
    }
    return *groups_;
  }
  uint64_t Position(std::string_view group) {
    auto info = groups().Get(group);
    REQUIRE_MESSAGE(info.has_value(), info.status().message());
    return info->position;
  }

 private:
  std::string root_;
  std::unique_ptr<Log> log_;
  std::unique_ptr<ConsumerGroups> groups_;
};

}  // namespace

TEST_CASE("AckMovesThePositionPastTheOffsetAndNeverBackwards") {
  GroupsLog t;
  t.Append(10);
  CHECK(t.Position("g") == 0);
  REQUIRE(t.groups().Ack("g", 4).has_value());
  CHECK(t.Position("g") == 5);
  auto again = t.groups().Ack("g", 2);
  REQUIRE(again.has_value());
  CHECK(again->position == 5);
  CHECK(t.Position("g") == 5);
  REQUIRE(t.groups().Ack("g", 9).has_value());
  CHECK(t.Position("g") == 10);
}

TEST_CASE("AckPastTheLastEventIsRefusedAndChangesNothing") {
  GroupsLog t;
  Result<GroupInfo> empty = t.groups().Ack("g", 0);
  REQUIRE_FALSE(empty.has_value());
  CHECK(empty.error().code() == StatusCode::kInvalidArgument);
  CHECK(empty.error().message().find("empty log") != std::string::npos);
  t.Append(3);
  REQUIRE(t.groups().Ack("g", 1).has_value());
  Result<GroupInfo> past = t.groups().Ack("g", 3);
  REQUIRE_FALSE(past.has_value());
  CHECK(past.error().message().find("last event is 2") != std::string::npos);
  CHECK(t.Position("g") == 2);
}

TEST_CASE("GroupsProgressIndependentlyAndAreListedByName") {
  GroupsLog t;
  t.Append(10);
  REQUIRE(t.groups().Ack("b", 7).has_value());
  REQUIRE(t.groups().Ack("a", 2).has_value());
  auto list = t.groups().List();
  REQUIRE(list.has_value());
  REQUIRE(list->size() == 2);
  CHECK((*list)[0].name == "a");
  CHECK((*list)[0].position == 3);
  CHECK((*list)[1].name == "b");
  CHECK((*list)[1].position == 8);
  CHECK((*list)[0].updated_ns > 1'600'000'000'000'000'000);
}

TEST_CASE("GetOfAnUnknownGroupCreatesNothing") {
  GroupsLog t;
  t.Append(3);
  CHECK(t.Position("never") == 0);
  auto list = t.groups().List();
  REQUIRE(list.has_value());
  CHECK(list->empty());
}

TEST_CASE("JoinStoresANewGroupAtTheFirstOffsetAndLeavesAnExistingOneAsItIs") {
  GroupsLog t;
  t.Append(10);
  Result<GroupJoin> joined = t.groups().Join("new");
  REQUIRE(joined.has_value());
  CHECK(joined->created);
  CHECK_FALSE(joined->was_past_end.has_value());
  CHECK(joined->group.position == 0);
  auto list = t.groups().List();
  REQUIRE(list.has_value());
  REQUIRE(list->size() == 1);
  CHECK((*list)[0].name == "new");
  CHECK((*list)[0].position == 0);

  REQUIRE(t.groups().Ack("new", 6).has_value());
  const int64_t acked_at = t.groups().Get("new")->updated_ns;
  Result<GroupJoin> again = t.groups().Join("new");
  REQUIRE(again.has_value());
  CHECK_FALSE(again->created);
  CHECK(again->group.position == 7);
  CHECK(t.groups().Get("new")->updated_ns == acked_at);  // nothing written
  CHECK_FALSE(t.groups().Join("").has_value());
}

TEST_CASE("AckFromRefusesToUndoAResetOrDeleteAndAcceptsAForwardMove") {
  GroupsLog t;
  t.Append(10);
  REQUIRE(t.groups().Join("g").has_value());
  Result<GroupInfo> acked = t.groups().AckFrom("g", 0, 3);
  REQUIRE(acked.has_value());
  CHECK(acked->position == 4);

  REQUIRE(t.groups().Reset("g", 1).has_value());  // another program moves it back
  Result<GroupInfo> refused = t.groups().AckFrom("g", 4, 6);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code() == StatusCode::kConflict);
  CHECK(t.Position("g") == 1);

  REQUIRE(t.groups().Ack("g", 7).has_value());  // another consumer moves it forward
  Result<GroupInfo> forward = t.groups().AckFrom("g", 4, 5);
  REQUIRE(forward.has_value());
  CHECK(forward->position == 8);

  REQUIRE(t.groups().Delete("g").ok());
  Result<GroupInfo> deleted = t.groups().AckFrom("g", 8, 8);
  REQUIRE_FALSE(deleted.has_value());
  CHECK(deleted.error().code() == StatusCode::kConflict);
  auto list = t.groups().List();
  REQUIRE(list.has_value());
  CHECK(list->empty());
}

TEST_CASE("ResetMovesBackwardsButNotPastTheEnd") {
  GroupsLog t;
  t.Append(10);
  REQUIRE(t.groups().Ack("g", 8).has_value());
  REQUIRE(t.groups().Reset("g", 2).has_value());
  CHECK(t.Position("g") == 2);
  REQUIRE(t.groups().Reset("g", 10).has_value());  // the end: nothing left to process
  CHECK(t.Position("g") == 10);
  Result<GroupInfo> past = t.groups().Reset("g", 11);
  REQUIRE_FALSE(past.has_value());
  CHECK(past.error().code() == StatusCode::kInvalidArgument);
  CHECK(t.Position("g") == 10);
}

TEST_CASE("DeleteForgetsTheGroupAndAnUnknownGroupIsNotFound") {
  GroupsLog t;
  t.Append(5);
  REQUIRE(t.groups().Ack("g", 3).has_value());
  CHECK(t.groups().Delete("g").ok());
  CHECK(t.Position("g") == 0);
  Status again = t.groups().Delete("g");
  CHECK(again.code() == StatusCode::kNotFound);
  CHECK(again.message().find("'g'") != std::string::npos);
}

TEST_CASE("GroupNamesMustBe1To255Bytes") {
  GroupsLog t;
  t.Append(1);
  CHECK(t.groups().Ack("", 0).status().code() == StatusCode::kInvalidArgument);
  CHECK(t.groups().Ack(std::string(256, 'x'), 0).status().code() == StatusCode::kInvalidArgument);
  CHECK(t.groups().Ack(std::string(255, 'x'), 0).has_value());
}

TEST_CASE("PositionsSurviveReopening") {
  GroupsLog t;
  t.Append(5);
  REQUIRE(t.groups().Ack("g", 3).has_value());
  t.Reopen();
  CHECK(t.Position("g") == 4);
}

TEST_CASE("GroupsCopiedFromAnotherLogAreRefused") {
  GroupsLog a, b;
  a.Append(1);
  REQUIRE(a.groups().Ack("g", 0).has_value());
  a.Close();
  std::filesystem::copy(a.groups_dir(), b.groups_dir());
  auto groups = ConsumerGroups::Open(b.log());
  REQUIRE_FALSE(groups.has_value());
  CHECK(groups.error().code() == StatusCode::kCorruption);
  CHECK(groups.error().message().find("different log") != std::string::npos);
}

namespace {

// A batch of `count` events at offsets first..first+count-1, as import builds it.
Batch PresetBatch(const Log& log, uint64_t first, int count, std::string_view payload) {
  Batch batch = log.NewBatch();
  for (int i = 0; i < count; ++i) REQUIRE(batch.AddAt({.payload = payload}, first + i, 1000 + i).ok());
  return batch;
}

}  // namespace

TEST_CASE("AppendWithPositionsCommitsTheBatchAndThePositionsTogether") {
  GroupsLog t;
  Batch batch = PresetBatch(t.log(), 0, 3, "imported");
  const std::vector<GroupInfo> positions = {{"billing", 2, 0}, {"audit", 9, 0}};
  auto appended = t.groups().AppendWithPositions(t.log(), batch, positions);
  REQUIRE_MESSAGE(appended.has_value(), appended.status().message());
  CHECK(appended->first_offset == 0);
  CHECK(appended->count == 3);
  CHECK(t.Position("billing") == 2);
  CHECK(t.Position("audit") == 3);  // clamped to the log's next offset
  t.Reopen();                         // nothing is left pending to settle differently
  CHECK(t.Position("billing") == 2);
  CHECK(t.Position("audit") == 3);
}

TEST_CASE("AppendWithPositionsNeedsPresetOffsets") {
  GroupsLog t;
  Batch batch = t.log().NewBatch();
  REQUIRE(batch.Add({.payload = "x"}).ok());
  auto appended = t.groups().AppendWithPositions(t.log(), batch, std::vector<GroupInfo>{{"g", 1, 0}});
  REQUIRE_FALSE(appended.has_value());
  CHECK(appended.error().code() == StatusCode::kInvalidArgument);
  CHECK(t.groups().List()->empty());
}

// The log lives in the fault-injecting file system, the group store (LMDB, real files) in
// a real directory of the same name.
TEST_CASE("PositionsOfABatchThatDidNotCommitAreDroppedEvenWhenOtherEventsTakeItsOffsets") {
  std::string root = (std::filesystem::temp_directory_path() / "evlog-groups-test.XXXXXX").string();
  REQUIRE(mkdtemp(root.data()) != nullptr);
  const std::string dir = root + "/log";
  REQUIRE(std::filesystem::create_directory(dir));
  testing::FaultFileSystem fs;
  {
    auto log = Log::Open(dir, {.create_if_missing = true, .fs = &fs});
    REQUIRE_MESSAGE(log.has_value(), log.status().message());
    auto groups = ConsumerGroups::Open(**log);
    REQUIRE(groups.has_value());
    Batch batch = PresetBatch(**log, 0, 3, "imported");
    fs.FailNext(testing::FaultOp::kSync);  // the batch's sync: it is not committed
    auto appended = (*groups)->AppendWithPositions(**log, batch, std::vector<GroupInfo>{{"billing", 2, 0}});
    REQUIRE_FALSE(appended.has_value());
    CHECK((*groups)->List()->empty());
  }
  {
    auto log = Log::Open(dir, {.fs = &fs});
    REQUIRE(log.has_value());
    Batch other = (*log)->NewBatch();
    for (int i = 0; i < 3; ++i) REQUIRE(other.Add({.payload = "other"}).ok());
    REQUIRE((*log)->Append(other).has_value());
    auto groups = ConsumerGroups::Open(**log);
    REQUIRE(groups.has_value());
    CHECK((*groups)->List()->empty());
  }
  std::filesystem::remove_all(root);
}

namespace {

// A forked process that opens LOG/groups with the LMDB API itself and answers one-byte
// commands on a pipe with one line each:
//   'r' begin a read transaction and keep it open (answer: LMDB's return code)
//   't' begin and end a read transaction (answer: LMDB's return code)
//   'l' the pids in the reader table, space-separated (mdb_reader_list)
//   'c' the number of dead readers' slots mdb_reader_check clears
// It never touches an environment inherited from the parent: LMDB forbids using one
// across fork().
class LmdbProcess {
 public:
  // max_readers != 0 sizes the reader table; only the first process to open an
  // environment decides it.
  explicit LmdbProcess(const std::string& path, unsigned max_readers = 0) {
    int to_child[2], from_child[2];
    REQUIRE(pipe(to_child) == 0);
    REQUIRE(pipe(from_child) == 0);
    pid_ = fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      close(to_child[1]);
      close(from_child[0]);
      Serve(path, max_readers, to_child[0], from_child[1]);
    }
    close(to_child[0]);
    close(from_child[1]);
    to_child_ = to_child[1];
    from_child_ = from_child[0];
    REQUIRE(ReadLine() == "ready");
  }
  ~LmdbProcess() {
    Kill();
    close(to_child_);
    close(from_child_);
  }

  pid_t pid() const { return pid_; }

  std::string Ask(char command) {
    REQUIRE(write(to_child_, &command, 1) == 1);
    return ReadLine();
  }

  void Kill() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  [[noreturn]] static void Serve(const std::string& path, unsigned max_readers, int in, int out) {
    MDB_env* env = nullptr;
    int rc = mdb_env_create(&env);
    if (rc == 0 && max_readers != 0) rc = mdb_env_set_maxreaders(env, max_readers);
    if (rc == 0) rc = mdb_env_open(env, path.c_str(), MDB_NOTLS, 0644);
    Reply(out, rc == 0 ? "ready" : mdb_strerror(rc));
    MDB_txn* txn = nullptr;
    char command;
    while (read(in, &command, 1) == 1) {
      std::string answer;
      if (command == 'r' || command == 't') {
        rc = mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn);
        if (rc == 0 && command == 't') mdb_txn_abort(txn);
        answer = std::to_string(rc);
      } else if (command == 'l') {
        mdb_reader_list(env, CollectPid, &answer);
      } else if (command == 'c') {
        int dead = -1;
        mdb_reader_check(env, &dead);
        answer = std::to_string(dead);
      }
      Reply(out, answer);
    }
    _exit(0);
  }

  // mdb_reader_list's lines: a header, then "pid thread txnid" per slot in use.
  static int CollectPid(const char* message, void* context) {
    int pid = 0;
    if (std::sscanf(message, "%d", &pid) == 1) *static_cast<std::string*>(context) += " " + std::to_string(pid);
    return 0;
  }

  static void Reply(int fd, const std::string& answer) {
    std::string line = answer + "\n";
    if (write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) _exit(1);
  }

  std::string ReadLine() {
    std::string line;
    char c;
    while (read(from_child_, &c, 1) == 1 && c != '\n') line.push_back(c);
    return line;
  }

  pid_t pid_ = -1;
  int to_child_ = -1;
  int from_child_ = -1;
};

bool Lists(const std::string& pids, pid_t pid) {
  std::istringstream in(pids);
  for (pid_t listed; in >> listed;) {
    if (listed == pid) return true;
  }
  return false;
}

}  // namespace

// A slot only goes stale while some other process keeps the environment open: the first
// opener of an environment nobody has open rebuilds the reader table anyway. `watcher`
// keeps it open and looks at the table from outside.
TEST_CASE("ReaderSlotOfAProcessKilledInsideAReadTransactionIsClearedWhenGroupsOpen") {
  GroupsLog t;
  t.Append(3);
  REQUIRE(mkdir(t.groups_dir().c_str(), 0755) == 0);
  LmdbProcess watcher(t.groups_dir());
  LmdbProcess victim(t.groups_dir());
  REQUIRE(victim.Ask('r') == "0");
  const pid_t dead = victim.pid();
  REQUIRE(Lists(watcher.Ask('l'), dead));
  victim.Kill();
  REQUIRE_MESSAGE(Lists(watcher.Ask('l'), dead), "the killed reader's slot must stay until someone checks");

  REQUIRE(t.groups().Ack("g", 2).has_value());  // Open runs mdb_reader_check
  CHECK_FALSE(Lists(watcher.Ask('l'), dead));
  CHECK(watcher.Ask('c') == "0");
  CHECK(t.Position("g") == 3);
}

TEST_CASE("AReaderTableFullOfDeadProcessesDoesNotBlockGroups") {
  constexpr unsigned kSlots = 4;
  GroupsLog t;
  t.Append(3);
  REQUIRE(mkdir(t.groups_dir().c_str(), 0755) == 0);
  LmdbProcess watcher(t.groups_dir(), kSlots);  // first opener: the table has kSlots slots
  REQUIRE(t.groups().Ack("g", 0).has_value());  // open before the readers die
  std::vector<std::unique_ptr<LmdbProcess>> victims;
  for (unsigned i = 0; i < kSlots; ++i) {
    victims.push_back(std::make_unique<LmdbProcess>(t.groups_dir()));
    REQUIRE(victims.back()->Ask('r') == "0");
  }
  for (auto& victim : victims) victim->Kill();
  REQUIRE(watcher.Ask('t') == std::to_string(MDB_READERS_FULL));

  CHECK(t.Position("g") == 1);  // a read transaction: needs a slot, clears the dead ones
  REQUIRE(t.groups().Ack("g", 2).has_value());
  CHECK(t.Position("g") == 3);
  CHECK(watcher.Ask('t') == "0");
}

// The store's creation (format-spec §11): data.mdb appears complete or not at all, so an
// empty or short one is damage, and the commands that only read the groups create nothing.
namespace {

std::vector<std::string> Entries(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

void CheckCorruptionNaming(const Status& status, const std::string& path, std::string_view what) {
  CHECK(status.code() == StatusCode::kCorruption);
  CHECK_MESSAGE(status.message().find(path) != std::string::npos, status.message());
  CHECK_MESSAGE(status.message().find(what) != std::string::npos, status.message());
}

}  // namespace

TEST_CASE("AnEmptyOrShortDataFileIsCorruptionNotANewStore") {
  GroupsLog t;
  t.Append(3);
  REQUIRE(t.groups().Ack("g", 1).has_value());
  t.Reopen();
  const std::string data_path = t.groups_dir() + "/data.mdb";
  // An empty file once read as "not initialised yet": every position lost, silently.
  uintmax_t size = 0;
  std::string what;
  SUBCASE("empty") { what = "empty (0 bytes)"; }
  SUBCASE("shorter than its two meta pages") {
    size = 4096;
    what = "damaged or truncated";
  }
  std::filesystem::resize_file(data_path, size);
  CheckCorruptionNaming(ConsumerGroups::Open(t.log()).status(), data_path, what);
  CheckCorruptionNaming(ConsumerGroups::ListIfPresent(t.log()).status(), data_path, what);
  CHECK(std::filesystem::file_size(data_path) == size);
}

TEST_CASE("ListIfPresentCreatesNothing") {
  GroupsLog t;
  t.Append(3);
  auto none = ConsumerGroups::ListIfPresent(t.log());
  REQUIRE_MESSAGE(none.has_value(), none.status().message());
  CHECK(none->empty());
  CHECK_FALSE(std::filesystem::exists(t.groups_dir()));

  SUBCASE("groups/ without data.mdb has no groups") {
    std::filesystem::create_directory(t.groups_dir());
    auto listed = ConsumerGroups::ListIfPresent(t.log());
    REQUIRE_MESSAGE(listed.has_value(), listed.status().message());
    CHECK(listed->empty());
    CHECK(Entries(t.groups_dir()).empty());
  }
}

TEST_CASE("OpenCreatesAStoreThatHoldsTheLogIdAndLeavesNoBuildDirectory") {
  GroupsLog a, b;
  a.Append(1);
  a.groups();
  CHECK(Entries(a.groups_dir()) == std::vector<std::string>{"data.mdb", "lock.mdb"});
  a.Close();
  // Read without LMDB, as a reading command would: created complete, log_id included.
  std::filesystem::copy(a.groups_dir(), b.groups_dir());
  CheckCorruptionNaming(ConsumerGroups::ListIfPresent(b.log()).status(), b.groups_dir(), "different log");
}

TEST_CASE("ABuildDirectoryLeftByACrashIsIgnored") {
  GroupsLog t;
  t.Append(3);
  const std::string leftover = t.groups_dir() + "/building-1-0.tmp";
  std::filesystem::create_directories(leftover);
  std::ofstream(leftover + "/data.mdb").flush();  // empty: the crash came before LMDB wrote it
  REQUIRE(t.groups().Ack("g", 1).has_value());
  auto listed = ConsumerGroups::ListIfPresent(t.log());
  REQUIRE_MESSAGE(listed.has_value(), listed.status().message());
  REQUIRE(listed->size() == 1);
  CHECK((*listed)[0].position == 2);
}

// Build directories of creators that crashed are removed by the next writer, once they are
// old enough; one whose creator is alive (holds its flock), or that is too recent, is not.
TEST_CASE("AWriterRemovesBuildDirectoriesThatCrashedCreatorsLeft") {
  GroupsLog t;
  t.Append(3);
  REQUIRE(t.groups().Ack("g", 0).has_value());
  t.Reopen();  // the store is opened again below, by a writer that finds the leftovers
  auto leftover = [&](const std::string& name, int age_seconds) {
    const std::string dir = t.groups_dir() + "/" + name;
    std::filesystem::create_directories(dir);
    std::ofstream(dir + "/data.mdb") << "partial";
    std::filesystem::last_write_time(dir, std::filesystem::file_time_type::clock::now() -
                                              std::chrono::seconds(age_seconds));
    return dir;
  };
  const std::string crashed = leftover("building-1-0.tmp", 60);
  const std::string recent = leftover("building-2-0.tmp", 0);
  const std::string alive = leftover("building-3-0.tmp", 60);
  const std::string other = leftover("keep-me.tmp", 60);  // not a build directory's name
  const int alive_lock = open(alive.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  REQUIRE(alive_lock >= 0);
  REQUIRE(flock(alive_lock, LOCK_EX) == 0);

  // A reader leaves them all.
  REQUIRE(ConsumerGroups::ListIfPresent(t.log()).has_value());
  CHECK(std::filesystem::exists(crashed));

  REQUIRE(t.groups().Ack("g", 1).has_value());
  CHECK_FALSE(std::filesystem::exists(crashed));
  CHECK(std::filesystem::exists(recent));
  CHECK(std::filesystem::exists(alive + "/data.mdb"));
  CHECK(std::filesystem::exists(other));
  close(alive_lock);
}

}  // namespace eventlog::test
