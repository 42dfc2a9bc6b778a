// The structural check of the group store's B-trees (group_store_pages.h, format-spec
// §11.2). A real store is built through ConsumerGroups, then damaged one page at a time with
// its meta pages intact, the way LMDB itself would otherwise meet it: opening the groups
// must give kCorruption naming data.mdb and the page, never a crash. Byte positions come
// from lmdb_layout.h.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <lmdb.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "coding.h"
#include "eventlog/consumer_groups.h"
#include "eventlog/log.h"
#include "group_store_pages.h"
#include "lmdb_layout.h"

namespace eventlog::test {
namespace {

namespace layout = lmdb_layout;

// Long names make few groups per page, so that a few hundred groups give a three-level tree.
std::string GroupName(int i) { return fmt::format("{:0>200}", i); }

// A log with `groups` groups in a temporary directory; nothing is kept open between calls.
class Store {
 public:
  // `base`: where the temporary directory goes.
  explicit Store(int groups, const std::filesystem::path& base = std::filesystem::temp_directory_path()) {
    std::string pattern = (base / "evlog-pages-test.XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    root_ = pattern;
    auto log = Log::Open(dir(), {.create_if_missing = true});
    REQUIRE_MESSAGE(log.has_value(), log.status().message());
    Batch batch = (*log)->NewBatch();
    REQUIRE(batch.Add({.payload = "event"}).ok());
    REQUIRE((*log)->Append(batch).has_value());
    auto store = ConsumerGroups::Open(**log);
    REQUIRE_MESSAGE(store.has_value(), store.status().message());
    std::vector<GroupInfo> infos;
    for (int i = 0; i < groups; ++i) infos.push_back({.name = GroupName(i), .position = uint64_t(i % 2)});
    REQUIRE((*store)->ResetAll(infos).ok());
  }
  ~Store() { std::filesystem::remove_all(root_); }

  std::string dir() const { return root_ + "/log"; }
  std::string data_path() const { return dir() + "/groups/data.mdb"; }

  // What every command does first: opens the log and its groups.
  Status OpenGroups() const {
    auto log = Log::Open(dir(), {});
    REQUIRE_MESSAGE(log.has_value(), log.status().message());
    return ConsumerGroups::Open(**log).status();
  }

  std::string Image() const {
    std::ifstream in(data_path(), std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  void Write(const std::string& image) const {
    std::ofstream out(data_path(), std::ios::binary | std::ios::trunc);
    out.write(image.data(), static_cast<std::streamsize>(image.size()));
    REQUIRE(out.good());
  }

 private:
  std::string root_;
};

// Reading and damaging pages of a data.mdb image through LMDB's layout.
struct Pages {
  std::string image;
  layout::Meta meta;

  explicit Pages(std::string bytes) : image(std::move(bytes)) {
    auto first = layout::DecodeMeta(image.data());
    REQUIRE(first.has_value());
    auto second = layout::DecodeMeta(image.data() + first->page_size);
    REQUIRE(second.has_value());
    meta = second->txn_id > first->txn_id ? *second : *first;
  }
  char* Page(uint64_t n) { return image.data() + n * meta.page_size; }
  uint64_t NodeCount(uint64_t n) { return (GetFixed16(Page(n) + layout::kLowerAt) - layout::kPageHeaderSize) / 2; }
  char* Node(uint64_t n, uint64_t i) { return Page(n) + GetFixed16(Page(n) + layout::kPageHeaderSize + 2 * i); }
  uint64_t Child(uint64_t n, uint64_t i) {
    const char* node = Node(n, i);
    return GetFixed16(node + layout::kNodeLoAt) | uint64_t(GetFixed16(node + layout::kNodeHiAt)) << 16 |
           uint64_t(GetFixed16(node + layout::kNodeFlagsAt)) << 32;
  }
  void SetChild(uint64_t n, uint64_t i, uint64_t child) {
    char* node = Node(n, i);
    PutFixed16(node + layout::kNodeLoAt, uint16_t(child));
    PutFixed16(node + layout::kNodeHiAt, uint16_t(child >> 16));
    PutFixed16(node + layout::kNodeFlagsAt, uint16_t(child >> 32));
  }
  // The record of a named database: a node of the main tree, whose root is a leaf here.
  layout::Tree Named(std::string_view name) {
    REQUIRE(meta.main_tree.depth == 1);
    for (uint64_t i = 0; i < NodeCount(meta.main_tree.root); ++i) {
      const char* node = Node(meta.main_tree.root, i);
      const std::string_view key(node + layout::kNodeHeaderSize, GetFixed16(node + layout::kNodeKeySizeAt));
      if (key == name) return layout::DecodeTree(node + layout::kNodeHeaderSize + key.size());
    }
    FAIL("no named database " << name);
    return {};
  }
};

void CheckNamesThePage(const Status& status, const Store& store, uint64_t page) {
  CHECK(status.code() == StatusCode::kCorruption);
  CHECK_MESSAGE(status.message().find(store.data_path()) != std::string::npos, status.message());
  CHECK_MESSAGE(status.message().find(fmt::format("page {} ", page)) != std::string::npos, status.message());
  CHECK_MESSAGE(status.message().find("Move LOG/groups aside") != std::string::npos, status.message());
}

}  // namespace

TEST_CASE("AnUndamagedStoreWithThreeLevelsOfBranchPagesOpens") {
  Store store(600);
  Pages pages(store.Image());
  CHECK(pages.Named("groups").depth == 3);
  CHECK(store.OpenGroups().ok());
  CHECK(CheckGroupStorePages(store.data_path()).ok());
}

TEST_CASE("ReadingWithoutLmdbGivesWhatLmdbGives") {
  Store store(600);
  auto log = Log::Open(store.dir(), {});
  REQUIRE(log.has_value());
  auto groups = ConsumerGroups::Open(**log);
  REQUIRE(groups.has_value());
  auto listed = (*groups)->List();
  REQUIRE(listed.has_value());
  auto records = ReadGroupStoreRecords(store.data_path());
  REQUIRE_MESSAGE(records.has_value(), records.status().message());
  std::vector<GroupStoreRecord> group_records;
  for (const GroupStoreRecord& r : *records) {
    if (r.database == "groups") group_records.push_back(r);
  }
  REQUIRE(group_records.size() == listed->size());
  for (size_t i = 0; i < listed->size(); ++i) {
    CHECK(group_records[i].key == (*listed)[i].name);
    CHECK(GetFixed64(group_records[i].value.data() + 4) == (*listed)[i].position);
  }
  CHECK(std::any_of(records->begin(), records->end(), [&](const GroupStoreRecord& r) {
    return r.database == "meta" && r.key == "log_id" && r.value == (*log)->log_id();
  }));
}

TEST_CASE("ReadingWithoutLmdbFindsTheSameDamage") {
  Store store(600);
  Pages pages(store.Image());
  const uint64_t leaf = pages.Child(pages.Child(pages.Named("groups").root, 1), 1);
  PutFixed64(pages.Page(leaf) + layout::kPageNumberAt, leaf + 1);
  store.Write(pages.image);
  auto records = ReadGroupStoreRecords(store.data_path());
  REQUIRE_FALSE(records.has_value());
  CheckNamesThePage(records.error(), store, leaf);
}

TEST_CASE("AValueOnOverflowPagesIsFollowedAndChecked") {
  Store store(50);
  {  // evlog's own values are small: a big one is put the way any LMDB program would.
    MDB_env* env = nullptr;
    REQUIRE(mdb_env_create(&env) == 0);
    REQUIRE(mdb_env_set_maxdbs(env, 2) == 0);
    REQUIRE(mdb_env_open(env, (store.dir() + "/groups").c_str(), 0, 0644) == 0);
    MDB_txn* txn = nullptr;
    MDB_dbi dbi;
    REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
    REQUIRE(mdb_dbi_open(txn, "meta", 0, &dbi) == 0);
    std::string big(3 * 4096 + 100, 'v');
    MDB_val key{8, const_cast<char*>("overflow")}, value{big.size(), big.data()};
    REQUIRE(mdb_put(txn, dbi, &key, &value, 0) == 0);
    REQUIRE(mdb_txn_commit(txn) == 0);
    mdb_env_close(env);
  }
  CHECK(store.OpenGroups().ok());
  Pages pages(store.Image());
  const uint64_t leaf = pages.Named("meta").root;
  uint64_t run = 0;
  for (uint64_t i = 0; i < pages.NodeCount(leaf); ++i) {
    const char* node = pages.Node(leaf, i);
    if ((GetFixed16(node + layout::kNodeFlagsAt) & layout::kBigData) == 0) continue;
    run = GetFixed64(node + layout::kNodeHeaderSize + GetFixed16(node + layout::kNodeKeySizeAt));
  }
  REQUIRE(run != 0);
  SUBCASE("a run too short for its value") {
    PutFixed32(pages.Page(run) + layout::kOverflowPagesAt, 1);
    store.Write(pages.image);
    CheckNamesThePage(store.OpenGroups(), store, run);
  }
  SUBCASE("a run past the end of the file") {
    PutFixed32(pages.Page(run) + layout::kOverflowPagesAt, 1u << 30);
    store.Write(pages.image);
    CheckNamesThePage(store.OpenGroups(), store, run);
  }
}

TEST_CASE("DamagedTreePagesAreCorruptionNamingThePage") {
  Store store(600);
  Pages pages(store.Image());
  const layout::Tree groups = pages.Named("groups");
  REQUIRE(groups.depth == 3);
  const uint64_t root = groups.root;
  const uint64_t branch = pages.Child(root, 1);  // level 2
  const uint64_t leaf = pages.Child(branch, 1);  // level 3
  uint64_t named = 0;                            // the page a message must name

  SUBCASE("a leaf's free-space bounds crossed") {
    PutFixed16(pages.Page(leaf) + layout::kLowerAt, GetFixed16(pages.Page(leaf) + layout::kUpperAt) + 2);
    named = leaf;
  }
  SUBCASE("a leaf's upper bound past the page end") {
    PutFixed16(pages.Page(leaf) + layout::kUpperAt, uint16_t(pages.meta.page_size + 2));
    named = leaf;
  }
  SUBCASE("a branch child past the end of the file") {
    pages.SetChild(root, 1, pages.meta.last_page + 1000);
    named = root;
  }
  SUBCASE("a page whose header names another page") {
    PutFixed64(pages.Page(leaf) + layout::kPageNumberAt, leaf + 1);
    named = leaf;
  }
  SUBCASE("a branch child pointing back to its ancestor") {
    pages.SetChild(branch, 0, root);
    named = branch;
  }
  SUBCASE("a leaf node's key size past the page end") {
    PutFixed16(pages.Node(leaf, 0) + layout::kNodeKeySizeAt, uint16_t(pages.meta.page_size));
    named = leaf;
  }
  SUBCASE("a leaf node's offset inside the page header") {
    PutFixed16(pages.Page(leaf) + layout::kPageHeaderSize, 4);
    named = leaf;
  }
  SUBCASE("a leaf node with MDB_DUPSORT data") {
    PutFixed16(pages.Node(leaf, 0) + layout::kNodeFlagsAt, layout::kDuplicates);
    named = leaf;
  }
  SUBCASE("a page of random bytes") {
    const uint32_t seed = 20261201;
    MESSAGE("seed " << seed);
    std::mt19937 random(seed);
    for (uint64_t i = 0; i < pages.meta.page_size; ++i) pages.Page(leaf)[i] = char(random());
    named = leaf;
  }
  store.Write(pages.image);
  CheckNamesThePage(store.OpenGroups(), store, named);
}

TEST_CASE("AFreeListNamingAPagePastTheFileIsCorruption") {
  Store store(600);
  {  // deleting groups frees pages: the free list gets records
    auto log = Log::Open(store.dir(), {});
    REQUIRE(log.has_value());
    auto groups = ConsumerGroups::Open(**log);
    REQUIRE(groups.has_value());
    for (int i = 0; i < 100; ++i) REQUIRE((*groups)->Delete(GroupName(i * 3)).ok());
  }
  Pages pages(store.Image());
  REQUIRE(pages.meta.free_tree.root != layout::kNoPage);
  REQUIRE(pages.meta.free_tree.depth == 1);
  const uint64_t leaf = pages.meta.free_tree.root;
  char* list = nullptr;  // a record listing one free page or more
  for (uint64_t i = 0; i < pages.NodeCount(leaf) && list == nullptr; ++i) {
    char* node = pages.Node(leaf, i);
    char* data = node + layout::kNodeHeaderSize + GetFixed16(node + layout::kNodeKeySizeAt);
    if (GetFixed64(data) >= 1) list = data;
  }
  REQUIRE(list != nullptr);
  CHECK(store.OpenGroups().ok());
  PutFixed64(list + 8, pages.meta.last_page + 1);
  store.Write(pages.image);
  CheckNamesThePage(store.OpenGroups(), store, leaf);
}

// Another process commits throughout (new groups, moved positions, deleted groups: pages are
// split, merged, freed and reused) while this one opens the store again and again: a
// snapshot being checked is never changed under the check, so there is never a false alarm.
// In memory (tmpfs) where there is one, so that commits, whose fsync is then free, come fast
// enough to reuse pages during a check that did not pin its snapshot.
TEST_CASE("OpeningWhileAnotherProcessCommitsNeverFindsDamage") {
  Store store(300, std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : std::filesystem::temp_directory_path());
  int stop[2], progress[2];
  REQUIRE(pipe(stop) == 0);
  REQUIRE(pipe(progress) == 0);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    close(stop[1]);
    close(progress[0]);
    fcntl(stop[0], F_SETFL, O_NONBLOCK);
    auto log = Log::Open(store.dir(), {});
    if (!log.has_value()) _exit(2);
    auto groups = ConsumerGroups::Open(**log);
    if (!groups.has_value()) _exit(3);
    uint64_t commits = 0;
    char byte;
    for (int i = 0; read(stop[0], &byte, 1) < 0 && errno == EAGAIN; ++i) {
      const std::string name = GroupName(i * 7919 % 450);
      const Status status = i % 5 == 4 ? (*groups)->Delete(name) : (*groups)->Reset(name, uint64_t(i % 2)).status();
      if (!status.ok() && status.code() != StatusCode::kNotFound) _exit(4);
      if (++commits == 1 && write(progress[1], "x", 1) != 1) _exit(5);
    }
    if (write(progress[1], &commits, sizeof commits) != sizeof commits) _exit(6);
    _exit(0);
  }
  close(stop[0]);
  close(progress[1]);
  char first;
  REQUIRE(read(progress[0], &first, 1) == 1);  // the child is committing
  auto log = Log::Open(store.dir(), {});
  REQUIRE(log.has_value());
  int failures = 0;
  for (int i = 0; i < 200; ++i) {
    const Status status = ConsumerGroups::Open(**log).status();  // each time a new environment
    if (!status.ok()) {
      ++failures;
      MESSAGE(status.message());
    }
  }
  close(stop[1]);
  uint64_t commits = 0;
  REQUIRE(read(progress[0], &commits, sizeof commits) == sizeof commits);
  int wstatus = 0;
  REQUIRE(waitpid(child, &wstatus, 0) == child);
  CHECK(WIFEXITED(wstatus));
  CHECK(WEXITSTATUS(wstatus) == 0);
  MESSAGE("the other process committed " << commits << " times during 200 opens");
  CHECK(failures == 0);
}

}  // namespace eventlog::test
