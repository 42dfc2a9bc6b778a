#include "commands/tail_removed.h"

#include <algorithm>

#include <fmt/format.h>

#include "term/report.h"

namespace evlog {

void WarnIfRemoved(const eventlog::Log& log, uint64_t expected, uint64_t offset) {
  auto info = log.Info();
  if (!info || info->first_offset <= expected) return;
  PrintError("tail", fmt::format("warning: events {}..{} were removed from {} (evlog compact) before they "
                                 "could be read; continuing at {}",
                                 expected, std::min(info->first_offset, offset) - 1, log.dir(), offset));
}

}  // namespace evlog
