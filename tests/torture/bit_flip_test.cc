// Issue 9, test 3 (damage): random damage to the committed bytes of a reference log, each
// trial on a fresh copy: single bit flips, two flips, a byte set to 0x00 or 0xFF, bursts of
// 8 to 64 bits, a 512-byte sector zeroed or filled with noise, and a frame replaced by the
// frame at the same place in a twin log (same offsets and timestamps, other payloads, a valid
// checksum: only the chain of prev_checksum can tell). Every damage must be
//   - reported by verify as corruption;
//   - reported by a reader as corruption, after only correct events (but for the log's very
//     first frame, which chains to nothing: a substitute for it is caught by the next frame's
//     link, after its events were returned);
//   - refused by a writer when it lies in the active segment (closed ones a writer does not
//     read), which then changes nothing; and never cut away silently by anyone.
#include <doctest/doctest.h>

#include <random>

#include <fmt/format.h>

#include "eventlog/verify.h"
#include "format.h"
#include "reference_log.h"
#include "segment.h"
#include "segment_scan.h"
#include "torture_run.h"

namespace eventlog::torture {
namespace {

enum Damage { kFlip, kTwoFlips, kZeroByte, kFfByte, kBurst, kZeroSector, kNoiseSector, kSplice, kDamageKinds };
constexpr const char* kDamageNames[] = {"flip", "two flips", "byte 0x00", "byte 0xff", "burst", "zero sector",
                                        "noise sector", "spliced frame"};

// Where each frame of a segment lies, from the segment's own (intact) bytes.
std::vector<std::pair<uint64_t, uint64_t>> Frames(const std::string& segment) {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  ScanBatches(segment, ScanPosition{format::segment::kHeaderSize, 0, kNoTimestamp, 0, false, true, BatchState::kUnknown},
              [&](const FrameHeader& h, uint64_t position) { out.emplace_back(position, h.aligned_length()); });
  return out;
}

class Damager {
 public:
  Damager(const ReferenceLog& ref, const ReferenceLog& twin, uint64_t seed) : ref_(ref), twin_(twin), rng_(seed) {
    for (const auto& [path, bytes] : ref.files) {
      if (path.ends_with(".seg")) segments_.push_back(path);
    }
  }

  // Damages one segment; returns its path and new bytes (equal to the old: nothing changed).
  // *first_frame tells whether the damage replaced the log's first frame.
  std::pair<std::string, std::string> Apply(Damage kind, bool* first_frame) {
    *first_frame = false;
    const std::string& path = segments_[Below(segments_.size())];
    std::string bytes = ref_.files.at(path);
    const uint64_t bit = Below(bytes.size() * 8);
    auto flip = [&](uint64_t b) { bytes[b / 8] = static_cast<char>(bytes[b / 8] ^ (1 << (b % 8))); };
    switch (kind) {
      case kFlip: flip(bit); break;
      case kTwoFlips: flip(bit), flip(Below(bytes.size() * 8)); break;
      case kZeroByte: bytes[bit / 8] = '\0'; break;
      case kFfByte: bytes[bit / 8] = '\xff'; break;
      case kBurst:
        for (uint64_t b = bit, n = 8 + Below(57); b < bytes.size() * 8 && n > 0; ++b, --n) flip(b);
        break;
      case kZeroSector:
      case kNoiseSector:
        for (uint64_t i = bit / 8 / 512 * 512; i < std::min<uint64_t>(bytes.size(), bit / 8 / 512 * 512 + 512); ++i) {
          bytes[i] = kind == kZeroSector ? '\0' : static_cast<char>(rng_());
        }
        break;
      default: {
        const auto frames = Frames(bytes);
        const auto [at, length] = frames[Below(frames.size())];
        bytes.replace(at, length, twin_.files.at(path).substr(at, length));
        *first_frame = at == format::segment::kHeaderSize && path.ends_with(SegmentFileName(0));
      }
    }
    return {path, bytes};
  }

  uint64_t Below(uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng_); }

 private:
  const ReferenceLog& ref_;
  const ReferenceLog& twin_;
  std::mt19937_64 rng_;
  std::vector<std::string> segments_;
};

// What went wrong with one damaged copy; empty if every party noticed.
std::string CheckDetected(const ReferenceLog& ref, const std::string& path, const std::string& damaged,
                          bool first_frame) {
  testing::FaultFileSystem fs;
  ref.Install(fs, {{path, damaged}});
  auto log = Log::Open(ReferenceLog::kDir, {.fs = &fs});
  if (!log) return log.status().code() == StatusCode::kCorruption ? "" : "open: " + log.status().message();
  auto report = VerifyLog(**log);
  if (!report || !report->corrupt()) {
    return "verify did not report corruption" + (report ? std::string() : ": " + report.status().message());
  }
  auto reader = (*log)->NewReader();
  const std::vector<LogEvent> all = ref.EventsBelow(UINT64_MAX);
  size_t read = 0;
  Event e;
  Result<bool> more = reader ? (*reader)->Next(&e) : Result<bool>(reader.status());
  for (; more && *more; more = (*reader)->Next(&e), ++read) {
    if (read >= all.size() || e.offset != all[read].offset || (e.payload != all[read].payload && !first_frame)) {
      return fmt::format("a reader returned a wrong event at offset {}", e.offset);
    }
  }
  if (more) return "a reader read to the end without noticing";
  if (more.status().code() != StatusCode::kCorruption) return "a reader failed otherwise: " + more.status().message();
  Batch batch = (*log)->NewBatch();
  REQUIRE(batch.Add({.payload = "after"}).ok());
  auto appended = (*log)->Append(batch);
  const bool active = path == ref.active_path;
  if (active && appended) return "a writer appended after damage in the active segment";
  if (active && appended.status().code() != StatusCode::kCorruption) return "a writer failed otherwise: " + appended.status().message();
  // Nobody cut anything: the damaged segment is as it was (the active one may have grown).
  const std::string after = *fs.Contents(path);
  if (after.compare(0, damaged.size(), damaged) != 0 || (active && after.size() != damaged.size())) {
    return "the damaged segment was changed";
  }
  return "";
}

}  // namespace

TEST_CASE("RandomFlipsBurstsAndSplicesInCommittedDataAreAllDetectedAndNeverCutAway") {
  TortureRun run("bit_flips");
  const ReferenceLog ref = BuildReferenceLog(1, 8192, 6000);
  const ReferenceLog twin = BuildReferenceLog(2, 8192, 6000);
  REQUIRE(ref.batches.size() == twin.batches.size());
  Damager damager(ref, twin, run.SubSeed(0));
  uint64_t unchanged = 0;
  int printed = 0;
  for (int trial = 0, trials = run.Cycles(12000, 2'000'000); trial < trials; ++trial) {
    const auto kind = static_cast<Damage>(trial % kDamageKinds);
    bool first_frame = false;
    const auto [path, damaged] = damager.Apply(kind, &first_frame);
    if (damaged == ref.files.at(path)) {  // a byte set to what it was
      ++unchanged;
      continue;
    }
    run.AddRun();
    const std::string problem = CheckDetected(ref, path, damaged, first_frame);
    if (problem.empty()) continue;
    run.AddViolations(1);
    if (printed++ < 20) fmt::print("trial {} ({} in {}): {}\n", trial, kDamageNames[kind], path, problem);
  }
  run.AddEvents(ref.EventsBelow(UINT64_MAX).size());
  run.AddField("unchanged", unchanged);
  run.Finish();
  CHECK(run.violations() == 0);
}

}  // namespace eventlog::torture
