#include "seal.h"

#include "coding.h"
#include "format.h"
#include "hash.h"

namespace eventlog::fuzz {

namespace f = format::frame;

void SealFrames(std::string& data, uint64_t position, bool chain, uint64_t first_prev) {
  uint64_t prev = first_prev;
  while (position + f::kHeaderSize <= data.size()) {
    char* p = data.data() + position;
    const uint32_t length = GetFixed32(p + f::kLengthAt);
    if (length < f::kHeaderSize || format::AlignUp(length) > data.size() - position) return;
    if (chain) PutFixed64(p + f::kPrevChecksumAt, prev);
    prev = ChecksumOfPieces(std::string_view(p, f::kChecksumAt),
                            std::string_view(p + f::kHeaderSize, length - f::kHeaderSize));
    PutFixed64(p + f::kChecksumAt, prev);
    position += format::AlignUp(length);
  }
}

void SealBlock(std::string& data, uint64_t at) {
  if (at + format::kBlockSize > data.size()) return;
  PutFixed64(data.data() + at + format::kBlockChecksumAt, BlockChecksum(data.data() + at));
}

}  // namespace eventlog::fuzz
