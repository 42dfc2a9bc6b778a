// The "Examples:" section that ends every subcommand's --help: two or three commands that
// work as written, in a directory holding the log `events` (tests/cli/help_examples.sh runs
// them there).
#pragma once

namespace CLI {
class App;
}

namespace evlog {

// Appends the examples to the footer of each subcommand of `root` (nested ones included).
// Call after every subcommand is registered.
void AddExamples(CLI::App& root);

}  // namespace evlog
