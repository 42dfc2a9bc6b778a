// Damage that only a reader which has read the frame before can see: a frame whose own
// checksum is right but which does not chain to its predecessor (format-spec §5.6, the
// prev_checksum check). For tests of readers that start in the middle of a segment.
#pragma once

#include <cstdint>
#include <string>

namespace eventlog::testing {

// In `segment` (a whole segment file's bytes), gives the frame whose base offset is
// `base_offset` a wrong prev_checksum and a checksum to match, and chains every later frame
// to the changed checksums, so that only that one link is broken. *last_checksum becomes
// the segment's last frame's checksum (for HEAD, when the segment is the active one).
// False, changing nothing, if no frame starts at that offset.
bool BreakChainAt(std::string* segment, uint64_t base_offset, uint64_t* last_checksum);

}  // namespace eventlog::testing
