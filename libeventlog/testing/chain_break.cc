#include "chain_break.h"

#include <string_view>

#include "format.h"
#include "frame.h"

namespace eventlog::testing {

bool BreakChainAt(std::string* segment, uint64_t base_offset, uint64_t* last_checksum) {
  std::string data = *segment;
  uint64_t previous = 0;
  bool broken = false;
  for (uint64_t pos = format::segment::kHeaderSize; pos + format::frame::kHeaderSize <= data.size();) {
    FrameHeader h;
    std::string why;
    if (ParseFrame(data, pos, /*check_body=*/false, &h, &why) != FrameParse::kOk) break;
    char* frame = data.data() + pos;
    if (!broken && h.base_offset == base_offset) {
      h.prev_checksum ^= 0x5a5a;
      broken = true;
    } else if (broken) {
      h.prev_checksum = previous;
    }
    if (broken) {
      const std::string_view body(frame + format::frame::kHeaderSize, h.length - format::frame::kHeaderSize);
      EncodeFrameHeader(&h, body, frame);
    }
    previous = h.checksum;
    pos += h.aligned_length();
  }
  if (!broken) return false;
  *segment = std::move(data);
  *last_checksum = previous;
  return true;
}

}  // namespace eventlog::testing
