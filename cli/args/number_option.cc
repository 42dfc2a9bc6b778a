#include "args/number_option.h"

#include <fmt/core.h>

#include "args/size_parse.h"

namespace evlog {

CLI::Option* AddWholeNumberOption(CLI::App& app, const std::string& name, std::function<void(uint64_t)> set,
                                  const std::string& help, uint64_t min, uint64_t max) {
  auto check = [min, max](std::string& text) -> std::string {
    const std::optional<uint64_t> n = ParseUnsigned(text);
    if (!n) {
      const bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
      if (digits) return fmt::format("{} is too large: it must be at most {}", text, max);
      const bool negative = !text.empty() && text[0] == '-';
      return fmt::format("'{}' is not a whole number{}: give decimal digits only, {} or more", text,
                         negative ? " (negative values are not allowed)" : "", min);
    }
    if (*n < min || *n > max) return fmt::format("{} is out of range: it must be between {} and {}", *n, min, max);
    return "";
  };
  return app
      .add_option_function<std::string>(
          name, [set = std::move(set)](const std::string& text) { set(*ParseUnsigned(text)); }, help)
      ->check(CLI::Validator(check, "", "whole number"));
}

}  // namespace evlog
