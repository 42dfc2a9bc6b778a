// `--key PATTERN`: shell-style globs over keys, matched byte by byte (a key may hold any
// bytes, NUL included, so fnmatch(3) with its C strings would not do).
//
//   *      any run of bytes, empty included     ?      any one byte
//   [abc]  one byte of the set; ranges a-z; [!a] or [^a] negates; a ']' first is literal
//   \c     the byte c itself (so \* matches a star)
//
// A pattern with none of * ? [ is compared as it is, backslashes included: most keys are
// plain names and need no quoting.
#pragma once

#include <string>
#include <string_view>

#include "eventlog/status.h"

namespace evlog {

class KeyGlob {
 public:
  // kInvalidArgument saying what is wrong (an unclosed '[', a trailing backslash).
  static eventlog::Result<KeyGlob> Compile(std::string_view pattern);

  bool Matches(std::string_view key) const;

 private:
  std::string pattern_;
  bool literal_ = true;
};

}  // namespace evlog
