// What a power loss leaves of a file's unsynced writes, sector by sector: the seeded model
// behind FaultFileSystem::SetPowerLossModel (fault_file_system.h).
//
// A disk writes 512-byte sectors; the page cache writes dirty pages back in any order, so
// after a power loss each sector the process changed since the file's last fdatasync holds
// its new bytes (kept), its old bytes (dropped), or neither (garbled: a torn sector write,
// random bytes or zeros). Bytes a Sync() made durable never change unless the process itself
// overwrote them. The file's size becomes the end of the last sector that reached the disk
// (a dropped sector below it reads as zeros, as a hole would); an unsynced truncation either
// reached the disk or did not.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>

namespace eventlog::testing {

struct PowerLossModel {
  uint64_t seed = 0;
  // Relative weights of a changed sector's fate when write-back is out of order.
  uint32_t keep_weight = 2;
  uint32_t drop_weight = 2;
  uint32_t garble_weight = 1;
  // Chance, per file, that write-back went in order: a prefix of the changed sectors is
  // kept, the next one kept, dropped or garbled (the one being written), the rest dropped.
  // Otherwise each changed sector's fate is drawn on its own, which lets a later sector
  // survive an earlier one (format-spec §8.7 says what recovery may then report).
  double in_order = 0.5;
  // Chance, per mutating operation, that the system writes one file's dirty pages back on
  // its own, as the kernel does every few seconds: the durable copy then holds a version
  // between two syncs (a HEAD that is neither the newest nor the synced one, say).
  double writeback = 0.02;
};

struct TornWriteStats {
  uint64_t kept = 0;
  uint64_t dropped = 0;
  uint64_t garbled = 0;
  bool out_of_order = false;  // a changed sector reached the disk after an earlier one did not
};

class TornWrites {
 public:
  explicit TornWrites(const PowerLossModel& model) : model_(model), rng_(model.seed) {}

  // The bytes on disk after a power loss, for a file whose last synced bytes are `durable`,
  // whose bytes in the page cache are `live`, and that was at most `low_water` bytes long
  // at some moment since its last sync (a truncation).
  std::string AfterPowerLoss(std::string_view durable, std::string_view live, uint64_t low_water,
                             TornWriteStats* stats);

  std::mt19937_64& rng() { return rng_; }
  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  uint64_t Below(uint64_t n) { return n == 0 ? 0 : std::uniform_int_distribution<uint64_t>(0, n - 1)(rng_); }

 private:
  enum class Fate : uint8_t { kKeep, kDrop, kGarble };
  Fate Draw();

  PowerLossModel model_;
  std::mt19937_64 rng_;
};

}  // namespace eventlog::testing
