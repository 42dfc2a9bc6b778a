#include "hash_dispatched.h"

#define XXH_STATIC_LINKING_ONLY  // XXH3_state_t's definition, for a state kept in place
#include <xxhash.h>

// The dispatcher exists for x86 only; elsewhere the library's plain functions are the same
// XXH3, compiled for that CPU.
#if defined(__x86_64__) || defined(__i386__)
#define XXH_DISPATCH_DISABLE_REPLACE  // the _dispatch functions, called by their own names
#include <xxh_x86dispatch.h>
#define EVLOG_XXH3_64BITS XXH3_64bits_dispatch
#define EVLOG_XXH3_64BITS_UPDATE XXH3_64bits_update_dispatch
#else
#define EVLOG_XXH3_64BITS XXH3_64bits
#define EVLOG_XXH3_64BITS_UPDATE XXH3_64bits_update
#endif

namespace eventlog {
namespace {

XXH3_state_t* State(unsigned char* bytes) { return reinterpret_cast<XXH3_state_t*>(bytes); }
const XXH3_state_t* State(const unsigned char* bytes) { return reinterpret_cast<const XXH3_state_t*>(bytes); }

}  // namespace

uint64_t DispatchedChecksum(std::string_view data) { return EVLOG_XXH3_64BITS(data.data(), data.size()); }

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
  EVLOG_XXH3_64BITS_UPDATE(State(state_), data.data(), data.size());
}

uint64_t StreamingChecksum::Digest() const { return XXH3_64bits_digest(State(state_)); }

}  // namespace eventlog
