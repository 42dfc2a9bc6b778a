// Sizes for people, the same in every command (stat, compact): machine-readable output
// (stat --json) keeps plain byte counts.
#pragma once

#include <cstdint>
#include <string>

namespace evlog {

// "512 bytes"; "64 MiB" for an exact multiple of a unit; otherwise one decimal, with the
// exact count beside it: "12.3 MiB (12,902,400 bytes)". Units are binary (KiB = 1024).
std::string FormatByteSize(uint64_t bytes);

// The same without the exact count, for a table column: "12.3 MiB", "64 MiB", "512 bytes".
std::string FormatByteSizeShort(uint64_t bytes);

}  // namespace evlog
