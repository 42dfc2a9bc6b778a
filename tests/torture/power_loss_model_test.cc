// The realistic power-loss model itself (torn_writes.h, FaultFileSystem::SetPowerLossModel):
// it does what a disk may do, no less (or the torture tests would prove little) and no more
// (or they would blame the log for the impossible).
#include <doctest/doctest.h>

#include <algorithm>
#include <set>

#include "fault_file_system.h"

namespace eventlog::testing {
namespace {

constexpr int kSeeds = 300;

TEST_CASE("APowerLossNeverChangesSyncedBytesAndKeepsEachUnsyncedSectorWholeDroppedOrGarbled") {
  const std::string synced(2000, 'a');
  const std::string written = synced + std::string(3000, 'b');
  bool saw_out_of_order = false, saw_kept = false, saw_dropped = false, saw_garbled = false;
  for (uint64_t seed = 0; seed < kSeeds; ++seed) {
    TornWrites model({.seed = seed, .in_order = 0.0});
    TornWriteStats stats;
    const std::string after = model.AfterPowerLoss(synced, written, synced.size(), &stats);
    CAPTURE(seed);
    REQUIRE(after.size() >= synced.size());
    REQUIRE(after.size() <= written.size());
    CHECK(after.compare(0, synced.size(), synced) == 0);
    for (size_t from = synced.size() / 512 * 512; from < after.size(); from += 512) {
      const std::string sector = after.substr(from, 512);
      const size_t own = std::max(from, synced.size()) - from;  // bytes of the sector past the synced ones
      const std::string tail = sector.substr(own);
      const bool kept = tail == written.substr(std::max(from, synced.size()), tail.size());
      const bool zeros = tail.find_first_not_of('\0') == std::string::npos;
      const bool noise = std::count(tail.begin(), tail.end(), 'b') < static_cast<std::ptrdiff_t>(tail.size() / 2);
      CHECK((kept || zeros || noise));  // the new bytes, a hole, or garbage
    }
    saw_out_of_order |= stats.out_of_order;
    saw_kept |= stats.kept > 0;
    saw_dropped |= stats.dropped > 0;
    saw_garbled |= stats.garbled > 0;
  }
  CHECK(saw_out_of_order);
  CHECK(saw_kept);
  CHECK(saw_dropped);
  CHECK(saw_garbled);
}

TEST_CASE("InOrderWriteBackKeepsAPrefixOfTheUnsyncedSectors") {
  const std::string written(8 * 512, 'w');
  std::set<size_t> lengths;
  for (uint64_t seed = 0; seed < kSeeds; ++seed) {
    TornWrites model({.seed = seed, .garble_weight = 0, .in_order = 1.0});
    TornWriteStats stats;
    const std::string after = model.AfterPowerLoss("", written, 0, &stats);
    CHECK_FALSE(stats.out_of_order);
    CHECK(after == written.substr(0, after.size()));  // kept sectors, then nothing
    CHECK(after.size() % 512 == 0);
    lengths.insert(after.size());
  }
  CHECK(lengths.size() == 9);  // every prefix, from none of the sectors to all of them
}

TEST_CASE("AnUnsyncedTruncationReachesTheDiskWholeOrNotAtAll") {
  const std::string synced(3000, 's');
  std::set<size_t> lengths;
  for (uint64_t seed = 0; seed < kSeeds; ++seed) {
    TornWrites model({.seed = seed});
    TornWriteStats stats;
    const std::string after = model.AfterPowerLoss(synced, synced.substr(0, 1000), 1000, &stats);
    CHECK(after == synced.substr(0, after.size()));
    lengths.insert(after.size());
  }
  CHECK(lengths == std::set<size_t>{1000, 3000});
}

TEST_CASE("UnsyncedDirectoryChangesSurviveAsAPrefixInOrder") {
  // Created, written and synced, then renamed: the file is under one name or (if its
  // creation did not survive either) absent, never under both.
  std::set<std::string> outcomes;
  for (uint64_t seed = 0; seed < kSeeds; ++seed) {
    FaultFileSystem fs;
    fs.SetPowerLossModel({.seed = seed, .writeback = 0.0});
    REQUIRE(fs.CreateDir("/d").ok());
    {
      auto file = fs.Open("/d/a.tmp", OpenMode::kCreateExclusive);
      REQUIRE(file.has_value());
      REQUIRE((*file)->Write(0, "data").ok());
      REQUIRE((*file)->Sync().ok());
    }
    REQUIRE(fs.Rename("/d/a.tmp", "/d/a").ok());
    fs.SimulatePowerLoss();
    const bool tmp = fs.Contents("/d/a.tmp").has_value(), final_name = fs.Contents("/d/a").has_value();
    CHECK_FALSE((tmp && final_name));
    if (tmp || final_name) CHECK(*fs.Contents(tmp ? "/d/a.tmp" : "/d/a") == "data");
    outcomes.insert(tmp ? "old name" : final_name ? "new name" : "absent");
  }
  CHECK(outcomes.size() == 3);
}

}  // namespace
}  // namespace eventlog::testing
