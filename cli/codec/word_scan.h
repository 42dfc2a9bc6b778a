// Word-at-a-time byte tests (after "Bit Twiddling Hacks"), for the JSON encoder and
// decoder: eight bytes per step through text that needs no escaping.
//
// Each test returns a word whose byte k has its high bit set if byte k of the input
// qualifies. Only the lowest such flag is exact: a borrow may flag bytes above the first
// one that qualifies. So callers ask "does any?" or "where is the first?", the first being
// the lowest address on a little-endian load (FirstFlaggedByte), never "which ones?".
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>

namespace evlog::word_scan {

constexpr uint64_t kOnes = 0x0101010101010101ULL;
constexpr uint64_t kHighBits = 0x8080808080808080ULL;

// Whether the first-flag search below is valid on this machine; callers step byte by byte
// where it is not.
constexpr bool kLittleEndian = std::endian::native == std::endian::little;

inline uint64_t Load(const char* p) {
  uint64_t word;
  std::memcpy(&word, p, sizeof(word));
  return word;
}

inline uint64_t ZeroBytes(uint64_t w) { return (w - kOnes) & ~w & kHighBits; }
inline uint64_t BytesBelow(uint64_t w, uint8_t n) { return (w - kOnes * n) & ~w & kHighBits; }
inline uint64_t BytesEqual(uint64_t w, char c) { return ZeroBytes(w ^ (kOnes * static_cast<uint8_t>(c))); }
inline uint64_t HighBytes(uint64_t w) { return w & kHighBits; }

// Bytes a JSON string cannot hold as they are: control characters, '"' and '\'.
inline uint64_t BytesToEscape(uint64_t w) { return BytesBelow(w, 0x20) | BytesEqual(w, '"') | BytesEqual(w, '\\'); }

// The index of the first flagged byte of a non-zero result above (little-endian only).
inline size_t FirstFlaggedByte(uint64_t flags) { return static_cast<size_t>(std::countr_zero(flags)) / 8; }

}  // namespace evlog::word_scan
