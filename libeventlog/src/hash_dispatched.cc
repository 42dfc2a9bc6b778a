#include "hash_dispatched.h"

#define XXH_STATIC_LINKING_ONLY  // XXH3_state_t's definition, for a state kept in place
#include <xxhash.h>
#define XXH_DISPATCH_DISABLE_REPLACE  // the _dispatch functions, called by their own names
#include <xxh_x86dispatch.h>

namespace eventlog {
namespace {

XXH3_state_t* State(unsigned char* bytes) { return reinterpret_cast<XXH3_state_t*>(bytes); }
const XXH3_state_t* State(const unsigned char* bytes) { return reinterpret_cast<const XXH3_state_t*>(bytes); }

}  // namespace

uint64_t DispatchedChecksum(std::string_view data) { return XXH3_64bits_dispatch(data.data(), data.size()); }

uint64_t DispatchedChecksumOfPieces(std::string_view head, std::string_view tail) {
  StreamingChecksum sum;
  sum.Update(head);
  sum.Update(tail);
  return sum.Digest();
}

StreamingChecksum::StreamingChecksum() {
  static_assert(sizeof(XXH3_state_t) == kStateBytes && alignof(XXH3_state_t) <= kStateAlignment,
                "hash_dispatched.h's StreamingChecksum must hold an XXH3_state_t");
  XXH3_64bits_reset(State(state_));
}

void StreamingChecksum::Update(std::string_view data) {
  XXH3_64bits_update_dispatch(State(state_), data.data(), data.size());
}

uint64_t StreamingChecksum::Digest() const { return XXH3_64bits_digest(State(state_)); }

}  // namespace eventlog
