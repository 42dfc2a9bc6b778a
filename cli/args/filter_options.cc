#include "args/filter_options.h"

namespace evlog {
namespace {

// A pattern is valid if it compiles; the message is the compiler's, naming the place.
template <typename Pattern>
CLI::Validator CompilesValidator(const std::string& what) {
  return CLI::Validator(
      [what](std::string& text) -> std::string {
        auto compiled = Pattern::Compile(text);
        return compiled ? "" : "'" + text + "' is not a valid " + what + ": " + compiled.error().message();
      },
      "", what);
}

CLI::Validator HeaderTestValidator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        return text.empty() || text[0] == '=' ? "'" + text + "' has an empty header name" : "";
      },
      "", "header test");
}

}  // namespace

void AddFilterOptions(CLI::App& app, EventFilterOptions& o) {
  app.add_option("--key", o.keys,
                 "Only events whose key is K (repeatable: any of them); with * ? or [...] a glob "
                 "over the key's bytes")
      ->type_name("K")
      ->check(CompilesValidator<KeyGlob>("glob"));
  app.add_option("--header", o.headers,
                 "Only events with this header (repeatable: all of them); NAME alone: any value")
      ->type_name("NAME[=VALUE]")
      ->check(HeaderTestValidator());
  app.add_option_function<std::string>(
         "--grep", [&o](const std::string& r) { o.grep = r; },
         "Only events whose payload contains a match of REGEX (PCRE2, bytes, case-sensitive; "
         "(?i) for caseless)")
      ->type_name("REGEX")
      ->check(CompilesValidator<PayloadRegex>("regex"));
}

}  // namespace evlog
