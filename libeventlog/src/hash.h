// XXH3-64 with seed 0, the only checksum in the format (format-spec §1). This header is the
// one place that includes xxhash.h.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace eventlog {

inline uint64_t Checksum(std::string_view data) { return XXH3_64bits(data.data(), data.size()); }

// Checksum of a 64-byte block (META, HEAD, segment and index headers): bytes [0, 56).
inline uint64_t BlockChecksum(const char* block) { return XXH3_64bits(block, 56); }

// Streaming checksum over several pieces (a frame header and its body).
class StreamingChecksum {
 public:
  StreamingChecksum() { XXH3_64bits_reset(&state_); }
  void Update(std::string_view data) { XXH3_64bits_update(&state_, data.data(), data.size()); }
  uint64_t Digest() const { return XXH3_64bits_digest(&state_); }

 private:
  XXH3_state_t state_;
};

// Checksum of two pieces as if they were one: Checksum(head ++ tail). A frame's checksum
// covers its header up to the checksum field and then its body, with the field between
// them. Small frames (a shell loop appends one event per frame) are copied into one buffer
// and hashed in one call: XXH3's streaming state is 576 bytes to initialise and finalise,
// which costs more than hashing a 100-byte frame, and a writer verifies every frame of the
// active segment when it opens the log.
inline uint64_t ChecksumOfPieces(std::string_view head, std::string_view tail) {
  constexpr size_t kOneShotLimit = 1024;
  if (head.size() + tail.size() <= kOneShotLimit) {
    char joined[kOneShotLimit];
    std::memcpy(joined, head.data(), head.size());
    if (!tail.empty()) std::memcpy(joined + head.size(), tail.data(), tail.size());
    return XXH3_64bits(joined, head.size() + tail.size());
  }
  StreamingChecksum sum;
  sum.Update(head);
  sum.Update(tail);
  return sum.Digest();
}

}  // namespace eventlog
