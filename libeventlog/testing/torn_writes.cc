#include "torn_writes.h"

#include <algorithm>
#include <optional>
#include <vector>

namespace eventlog::testing {

namespace {

constexpr uint64_t kSectorBytes = 512;

}  // namespace

TornWrites::Fate TornWrites::Draw() {
  const uint64_t total = uint64_t{model_.keep_weight} + model_.drop_weight + model_.garble_weight;
  const uint64_t pick = Below(total);
  if (pick < model_.keep_weight) return Fate::kKeep;
  return pick < uint64_t{model_.keep_weight} + model_.drop_weight ? Fate::kDrop : Fate::kGarble;
}

std::string TornWrites::AfterPowerLoss(std::string_view durable, std::string_view live, uint64_t low_water,
                                       TornWriteStats* stats) {
  // The starting point on disk: the synced bytes, cut if an unsynced truncation made it.
  std::string base(durable);
  if (low_water < base.size() && Chance(0.5)) base.resize(low_water);
  // What the process last wrote, over that base: where the live file is shorter than the
  // base, its truncation did not reach the disk, and the base's bytes stay. So the target is
  // never shorter than the base.
  std::string target(live);
  if (target.size() < base.size()) target.append(base, target.size());

  const uint64_t size = std::max(base.size(), target.size());
  std::vector<uint64_t> changed;  // sector numbers whose bytes differ from the base
  for (uint64_t s = 0; s * kSectorBytes < size; ++s) {
    const uint64_t from = s * kSectorBytes, to = std::min(size, from + kSectorBytes);
    const bool beyond_base = to > base.size();
    if (beyond_base || std::string_view(base).substr(from, to - from) != std::string_view(target).substr(from, to - from)) {
      changed.push_back(s);
    }
  }
  std::vector<Fate> fates(changed.size());
  if (Chance(model_.in_order)) {
    const uint64_t cut = Below(changed.size() + 1);
    for (uint64_t i = 0; i < changed.size(); ++i) fates[i] = i < cut ? Fate::kKeep : i == cut ? Draw() : Fate::kDrop;
  } else {
    for (Fate& f : fates) f = Draw();
  }

  // Byte i of the result: nullopt where nothing reached the disk beyond the base's end.
  std::vector<std::optional<char>> bytes(size);
  for (uint64_t i = 0; i < base.size(); ++i) bytes[i] = base[i];
  bool lost_earlier = false;
  for (size_t k = 0; k < changed.size(); ++k) {
    const uint64_t from = changed[k] * kSectorBytes, to = std::min(size, from + kSectorBytes);
    // Two draws per sector whatever its bytes, so that a seed replays the same fates even
    // where the data differs from run to run (timestamps).
    const bool zeros = Chance(0.5);
    std::mt19937_64 noise(rng_());
    for (uint64_t i = from; i < to; ++i) {
      const bool differs = i >= base.size() || base[i] != target[i];
      if (fates[k] == Fate::kKeep) {
        bytes[i] = target[i];
      } else if (fates[k] == Fate::kGarble && differs) {
        bytes[i] = zeros ? '\0' : static_cast<char>(noise());
      }
    }
    if (fates[k] == Fate::kKeep && lost_earlier) stats->out_of_order = true;
    if (fates[k] != Fate::kKeep) lost_earlier = true;
    ++(fates[k] == Fate::kKeep ? stats->kept : fates[k] == Fate::kDrop ? stats->dropped : stats->garbled);
  }
  uint64_t length = base.size();
  for (uint64_t i = size; i > length; --i) {
    if (bytes[i - 1]) {
      length = i;
      break;
    }
  }
  std::string out(length, '\0');
  for (uint64_t i = 0; i < length; ++i) out[i] = bytes[i].value_or('\0');
  return out;
}

}  // namespace eventlog::testing
