// --key, --header and --grep of the reading commands (tail, export): see codec/event_filter.h.
// A pattern that does not compile is a usage error (exit 2) naming it and what is wrong.
#pragma once

#include <CLI/CLI.hpp>

#include "codec/event_filter.h"

namespace evlog {

void AddFilterOptions(CLI::App& app, EventFilterOptions& options);

}  // namespace evlog
