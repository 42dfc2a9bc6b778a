// `--grep REGEX`: a Perl-compatible regular expression searched for in payloads, through
// PCRE2. Chosen over std::regex, whose matcher recurses per input byte (a long payload
// overflows the stack: a crash on hostile input) and is many times slower. Payloads are
// arbitrary bytes, so the pattern is compiled without UTF mode and matched with explicit
// lengths (NUL bytes and invalid UTF-8 are ordinary bytes).
#pragma once

#include <memory>
#include <string_view>

#include "eventlog/status.h"

namespace evlog {

class PayloadRegex {
 public:
  // kInvalidArgument with PCRE2's message and the byte where it stopped, e.g.
  // "missing closing parenthesis at byte 3".
  static eventlog::Result<PayloadRegex> Compile(std::string_view pattern);

  enum class Outcome { kMatch, kNoMatch, kLimitExceeded };
  // kLimitExceeded when the search gave up at PCRE2's match limits (a pattern that
  // backtracks catastrophically on this payload): bounded time and memory per payload,
  // whatever the bytes. Allocates nothing.
  Outcome Search(std::string_view payload) const;

 private:
  struct Compiled;
  std::shared_ptr<const Compiled> compiled_;
};

}  // namespace evlog
