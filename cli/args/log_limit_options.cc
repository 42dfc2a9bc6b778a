#include "args/log_limit_options.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>

#include "args/cli_validators.h"
#include "args/size_parse.h"
#include "eventlog/log.h"

namespace evlog {
namespace {

void AddSizeOption(CLI::App& app, const std::string& name, std::optional<uint64_t>& target, uint64_t min,
                   std::optional<uint64_t> max, const std::string& help) {
  app.add_option_function<std::string>(
         name, [&target](const std::string& text) { target = ParseSize(text); }, help)
      ->type_name("SIZE")
      ->check(SizeValidator())
      ->check(CLI::Validator(
          [min, max](std::string& text) -> std::string {
            const std::optional<uint64_t> size = ParseSize(text);
            if (!size || (*size >= min && (!max || *size <= *max))) return "";
            if (!max) return fmt::format("{} is out of range: it must be at least {} bytes", *size, min);
            return fmt::format("{} is out of range: it must be between {} and {} bytes", *size, min, *max);
          },
          "", "size range"));
}

}  // namespace

void AddLogLimitOptions(CLI::App& app, std::optional<uint64_t>& segment_bytes,
                        std::optional<uint64_t>& max_event_bytes, const std::string& segment_help,
                        const std::string& max_event_help) {
  AddSizeOption(app, "--segment-bytes", segment_bytes, eventlog::LogLimits::kMinSegmentBytes,
                eventlog::LogLimits::kMaxSegmentBytes, segment_help);
  AddSizeOption(app, "--max-event-bytes", max_event_bytes, 1, std::nullopt, max_event_help);
}

}  // namespace evlog
