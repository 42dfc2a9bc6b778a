// Base64, standard alphabet (RFC 4648 §4), padded on output. Used by the JSON envelope for
// keys, headers and payloads that are not valid UTF-8.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace evlog {

constexpr size_t Base64EncodedSize(size_t n) { return (n + 2) / 3 * 4; }

// Writes Base64EncodedSize(in.size()) characters to `out`; returns that count.
size_t Base64Encode(std::string_view in, char* out);

// Replaces *out with the decoded bytes. Padding is optional; whitespace and characters
// outside the alphabet are errors (returns false, *out unspecified).
bool Base64Decode(std::string_view in, std::string* out);

}  // namespace evlog
