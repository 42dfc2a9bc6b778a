// Test helper for cli.parallel_read: damages LOG at the middle cut that `tail` makes of it
// (Log::ReadSplits over the whole log, SPAN_BYTES apart) in the one way a reader starting at
// the cut cannot see. The frame there gets a wrong prev_checksum and a checksum to match,
// and the later frames of its segment are chained to it again: only a reader that read the
// frame before can tell (format-spec §5.6). Prints the cut's offset. Not part of evlog.
//
//   evlog_break_chain_at_cut LOG SPAN_BYTES
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <fmt/format.h>

#include "eventlog/log.h"
#include "chain_break.h"

namespace {

int Fail(const std::string& why) {
  std::fprintf(stderr, "evlog_break_chain_at_cut: %s\n", why.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) return Fail("usage: evlog_break_chain_at_cut LOG SPAN_BYTES");
  const std::string dir = argv[1];
  auto log = eventlog::Log::Open(dir, {});
  if (!log) return Fail(log.error().message());
  auto info = (*log)->Info();
  if (!info) return Fail(info.error().message());
  auto cuts = (*log)->ReadSplits(info->first_offset, info->next_offset, std::strtoull(argv[2], nullptr, 10));
  if (!cuts || cuts->empty()) return Fail("the log is not cut: make it longer");
  const uint64_t cut = (*cuts)[cuts->size() / 2];

  // The segment holding the cut: the last whose base is not after it. It must not be the
  // active one, whose last frame's checksum HEAD repeats.
  uint64_t base = 0;
  bool later_segment = false;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.size() != 24 || !name.ends_with(".seg")) continue;  // 20 digits: the base offset (format-spec §4)
    const uint64_t b = std::strtoull(name.c_str(), nullptr, 10);
    if (b <= cut) base = std::max(base, b);
    if (b > cut) later_segment = true;
  }
  if (!later_segment) return Fail("the middle cut is in the active segment: make the segments smaller");

  const std::string path = fmt::format("{}/{:020}.seg", dir, base);
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  std::string data = bytes.str();
  uint64_t last_checksum = 0;
  if (!eventlog::testing::BreakChainAt(&data, cut, &last_checksum)) {
    return Fail(fmt::format("no frame of {} starts at offset {}", path, cut));
  }
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
  std::printf("%llu\n", static_cast<unsigned long long>(cut));
  return 0;
}
