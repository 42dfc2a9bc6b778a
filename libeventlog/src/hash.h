// XXH3-64 with seed 0, the only checksum in the format (format-spec §1). This header is the
// one place that includes xxhash.h.
#pragma once

#include <cstdint>
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

}  // namespace eventlog
