// XXH3-64 through libxxhash's exported functions and its x86 dispatcher, which picks AVX2
// code at run time where the CPU has it: the large-input half of hash.h, which callers
// include instead of this. Kept apart because hash.h includes xxhash.h with XXH_INLINE_ALL,
// which renames every xxhash symbol (and the state type) to a private inline copy, while
// these need the library's own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace eventlog {

uint64_t DispatchedChecksum(std::string_view data);
// DispatchedChecksum(head ++ tail) without joining them.
uint64_t DispatchedChecksumOfPieces(std::string_view head, std::string_view tail);

// Streaming checksum over any number of pieces: the archive codec's streams, a batch's
// digest. Every piece goes to the dispatcher, however small: the state must be the
// library's.
class StreamingChecksum {
 public:
  StreamingChecksum();
  void Update(std::string_view data);
  uint64_t Digest() const;

 private:
  // XXH3_state_t, whose definition only hash_dispatched.cc sees; it checks the size and
  // alignment.
  static constexpr size_t kStateBytes = 576;
  static constexpr size_t kStateAlignment = 64;
  alignas(kStateAlignment) unsigned char state_[kStateBytes];
};

}  // namespace eventlog
