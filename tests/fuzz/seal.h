// Fuzzed bytes almost never carry a valid XXH3-64 checksum, so a target that fed them
// straight to a parser would exercise the checksum comparison and little behind it. These
// helpers recompute the checksums a fuzzer cannot guess, so that mutations reach the checks
// that follow (padding, kinds, header fields, record decoding, the sequence rules). Each
// target lets a flag bit of its input choose whether to seal, so that checksum failures are
// fuzzed too.
#pragma once

#include <cstdint>
#include <string>

namespace eventlog::fuzz {

// Walks the frames of `data` from `position` by their length words, while a length is at
// least a frame header and the frame fits, and rewrites each frame's checksum. With `chain`,
// also sets each prev_checksum to the previous frame's checksum, the first one to `first_prev`.
void SealFrames(std::string& data, uint64_t position, bool chain, uint64_t first_prev);

// Rewrites the checksum of the 64-byte block at `at` (META, segment, HEAD or index header).
void SealBlock(std::string& data, uint64_t at);

}  // namespace eventlog::fuzz
