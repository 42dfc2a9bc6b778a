#include "commands/examples.h"

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace evlog {
namespace {

struct Examples {
  std::vector<std::string> path;  // {"capture", "sqlite"}
  std::vector<std::string> commands;
};

// Each line a command that runs as written (tests/cli/help_examples.sh runs all but the
// PostgreSQL ones, which need a server): `events` is a log with events and the group
// `billing`, `app.db` a SQLite database with a table `orders`.
const std::vector<Examples>& AllExamples() {
  static const std::vector<Examples> all = {
      {{"append"},
       {"echo 'order 7 paid' | evlog append events",
        "printf 'user-7:logged in\\n' | evlog append events -K :",
        "echo '{\"key\":\"user-7\",\"headers\":{\"source\":\"web\"},\"payload\":\"hi\"}' | evlog append events --json"}},
      {{"tail"},
       {"evlog tail events -n 20", "evlog tail -f events --json",
        "evlog tail -f --wait new-log --format '%o %k %s\\n'"}},
      {{"ack"},
       {"evlog ack events -g billing 1",
        "evlog tail events -g billing -c 2 --format '%o\\n' | evlog ack events -g billing"}},
      {{"groups"},
       {"evlog groups events", "evlog groups events -g billing --reset-to beginning --execute",
        "evlog groups events -g old --delete"}},
      {{"stat"}, {"evlog stat events", "evlog stat events --json"}},
      {{"ls"}, {"evlog ls", "evlog ls . --depth 1 --json"}},
      {{"verify"}, {"evlog verify events", "evlog verify events --repair"}},
      {{"compact"},
       {"evlog compact events --retain-age 30d --dry-run", "evlog compact events --keep-latest-per-key"}},
      {{"export"},
       {"evlog export events -o events.evlog", "evlog export events --since 2026-12-01 > events.jsonl"}},
      {{"import"}, {"evlog import copy events.evlog", "evlog import events-2 < events.jsonl"}},
      {{"replay"},
       {"evlog replay events -g indexer -- sh -c 'cat >> indexed.txt'",
        "evlog replay events --from beginning -- sh -c 'echo \"$EVLOG_OFFSET $EVLOG_HEADER_SOURCE\"'"}},
      {{"capture"},
       {"evlog capture sqlite app.db --install -t orders",
        "evlog capture postgres postgres://app@db/shop changes --slot evlog --create-slot -t orders"}},
      {{"capture", "sqlite"},
       {"evlog capture sqlite app.db --install -t orders", "evlog capture sqlite app.db changes"}},
      {{"capture", "postgres"},
       {"evlog capture postgres postgres://app@db/shop changes --slot evlog --create-slot -t orders",
        "evlog capture postgres 'host=db dbname=shop' changes --slot evlog -f"}},
      {{"apply"},
       {"evlog apply changes --to sqlite:replica.db -g replica --create-tables",
        "evlog apply changes --to postgres://app@replica/shop -g replica -f"}},
      {{"bridge"},
       {"evlog bridge events --to kafka://localhost:9092/orders -g kafka-relay -f",
        "evlog bridge events --to nats://localhost:4222/orders.events -g nats-relay",
        "evlog bridge orders-copy --from kafka://localhost:9092/orders -g evlog-copy"}},
      {{"help"}, {"evlog help tail", "evlog help capture postgres"}},
  };
  return all;
}

}  // namespace

void AddExamples(CLI::App& root) {
  for (const Examples& examples : AllExamples()) {
    CLI::App* app = &root;
    for (const std::string& name : examples.path) app = app->get_subcommand(name);  // throws if misnamed
    std::string footer = app->get_footer();
    footer += footer.empty() ? "Examples:" : "\n\nExamples:";
    for (const std::string& command : examples.commands) footer += "\n  " + command;
    app->footer(footer);
  }
}

}  // namespace evlog
