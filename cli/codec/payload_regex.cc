#include "codec/payload_regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <string>

namespace evlog {
namespace {

// Limits that stop a pathological search within a fraction of a second while leaving
// every sensible pattern far below them (PCRE2's defaults are 10,000,000 and 20 MiB).
constexpr uint32_t kMatchLimit = 1'000'000;
constexpr uint32_t kDepthLimit = 10'000;
// The JIT's own stack, allocated once; exceeding it is a limit error as well.
constexpr size_t kJitStackBytes = 1 << 20;

}  // namespace

// PCRE2's objects, made once and shared by copies of the PayloadRegex: a match reuses its
// match data instead of allocating per payload. Not safe for concurrent searches.
struct PayloadRegex::Compiled {
  pcre2_code* code = nullptr;
  pcre2_match_data* match_data = nullptr;
  pcre2_match_context* context = nullptr;
  pcre2_jit_stack* jit_stack = nullptr;
  bool jit = false;

  ~Compiled() {
    pcre2_jit_stack_free(jit_stack);
    pcre2_match_context_free(context);
    pcre2_match_data_free(match_data);
    pcre2_code_free(code);
  }
};

eventlog::Result<PayloadRegex> PayloadRegex::Compile(std::string_view pattern) {
  auto compiled = std::make_shared<Compiled>();
  int error = 0;
  PCRE2_SIZE error_offset = 0;
  compiled->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), 0, &error,
                                 &error_offset, nullptr);
  if (!compiled->code) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error, message, sizeof message);
    return eventlog::Status::InvalidArgument(std::string(reinterpret_cast<const char*>(message)) + " at byte " +
                                             std::to_string(error_offset));
  }
  compiled->match_data = pcre2_match_data_create(1, nullptr);
  compiled->context = pcre2_match_context_create(nullptr);
  if (!compiled->match_data || !compiled->context) return eventlog::Status::Failed("out of memory compiling the regex");
  pcre2_set_match_limit(compiled->context, kMatchLimit);
  pcre2_set_depth_limit(compiled->context, kDepthLimit);
  // Without the JIT (not built for this CPU) the interpreter does the same work, slower.
  if (pcre2_jit_compile(compiled->code, PCRE2_JIT_COMPLETE) == 0) {
    compiled->jit_stack = pcre2_jit_stack_create(32 * 1024, kJitStackBytes, nullptr);
    if (compiled->jit_stack) {
      pcre2_jit_stack_assign(compiled->context, nullptr, compiled->jit_stack);
      compiled->jit = true;
    }
  }
  PayloadRegex regex;
  regex.compiled_ = std::move(compiled);
  return regex;
}

PayloadRegex::Outcome PayloadRegex::Search(std::string_view payload) const {
  const Compiled& c = *compiled_;
  // A view of an empty payload may hold a null pointer, which PCRE2 refuses even with length 0.
  auto subject = reinterpret_cast<PCRE2_SPTR>(payload.empty() ? "" : payload.data());
  int rc = c.jit ? pcre2_jit_match(c.code, subject, payload.size(), 0, 0, c.match_data, c.context)
                 : pcre2_match(c.code, subject, payload.size(), 0, 0, c.match_data, c.context);
  if (rc >= 0) return Outcome::kMatch;
  if (rc == PCRE2_ERROR_NOMATCH) return Outcome::kNoMatch;
  // Match and depth limits, the JIT stack, heap: the search was abandoned, not answered.
  return Outcome::kLimitExceeded;
}

}  // namespace evlog
