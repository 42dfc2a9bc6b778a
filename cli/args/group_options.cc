#include "args/group_options.h"

#include "codec/time_parse.h"

namespace evlog {
namespace {

// The library enforces the same limit (kInvalidArgument); checking it here makes a bad
// name a usage error, reported before any log is opened.
constexpr size_t kMaxGroupNameBytes = 255;

}  // namespace

CLI::Validator GroupNameValidator() {
  return CLI::Validator(
      [](std::string& name) -> std::string {
        if (!name.empty() && name.size() <= kMaxGroupNameBytes) return "";
        return "a group name must be 1 to 255 bytes long";
      },
      "", "group");
}

std::optional<ResetTarget> ParseResetTarget(std::string_view text, int64_t now_ns) {
  if (!text.empty() && text[0] == '@') {
    auto time = ParseTime(text.substr(1), now_ns);
    if (!time) return std::nullopt;
    return ResetTarget{.position = std::nullopt, .time_ns = *time};
  }
  auto position = ParsePosition(text);
  if (!position) return std::nullopt;
  return ResetTarget{.position = *position, .time_ns = std::nullopt};
}

CLI::Validator ResetTargetValidator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        if (ParseResetTarget(text, NowNanos())) return "";
        return "'" + text +
               "' is not a position (an offset, beginning, end, -N) or @TIME (examples: "
               "@2026-11-29T10:00:00Z, @-10m)";
      },
      "", "reset target");
}

}  // namespace evlog
