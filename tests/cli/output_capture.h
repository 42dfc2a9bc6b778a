// For tests of what the CLI writes: runs code against an OutputBuffer backed by a
// temporary file and returns the bytes that reached the file.
#pragma once

#include <doctest/doctest.h>

#include <cstdio>
#include <string>

#include "codec/output_buffer.h"

namespace evlog {

// A small capacity exercises the flush paths.
template <typename F>
std::string CaptureOutput(F write, size_t capacity) {
  FILE* file = std::tmpfile();
  REQUIRE(file != nullptr);
  {
    OutputBuffer out(fileno(file), capacity);
    write(out);
    REQUIRE(out.Flush());
  }
  std::string text;
  std::rewind(file);
  for (int c; (c = std::fgetc(file)) != EOF;) text += static_cast<char>(c);
  std::fclose(file);
  return text;
}

}  // namespace evlog
