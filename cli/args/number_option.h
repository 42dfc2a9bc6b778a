// Options that take a whole number (a count, an offset, a batch size).
//
// CLI11 converts such values with strtoull in base 0: "-5" wraps to 18446744073709551611,
// "010" is octal 8 and "0x10" is 16. These options accept decimal digits only, so that a
// negative or mistyped number is a usage error (exit 2) rather than a huge or surprising one.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <CLI/CLI.hpp>

namespace evlog {

// Adds an option (or, for a name without dashes, a positional) whose value is a decimal whole
// number in [min, max], handed to `set`; anything else is a usage error naming the option.
CLI::Option* AddWholeNumberOption(CLI::App& app, const std::string& name, std::function<void(uint64_t)> set,
                                  const std::string& help, uint64_t min = 0, uint64_t max = UINT64_MAX);

}  // namespace evlog
