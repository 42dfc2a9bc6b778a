// The command line of `evlog apply`: its options, registered with CLI11. Running it lives in
// apply_run.cc, apart, because only the evlog-connectors program links SQLite and libpq
// (commands/connector_handoff.h says why).
#include <CLI/CLI.hpp>

#include "apply/apply_command.h"
#include "apply/apply_session.h"
#include "args/group_options.h"
#include "args/number_option.h"

namespace evlog {
namespace {

constexpr std::string_view kSqliteScheme = "sqlite:";
constexpr std::string_view kPostgresScheme = "postgres:";

// Splits --to into its kind and what follows the scheme; false for neither kind.
bool ParseTarget(const std::string& text, ApplyCommandOptions::TargetKind* kind, std::string* target) {
  if (text.starts_with(kSqliteScheme) && text.size() > kSqliteScheme.size()) {
    *kind = ApplyCommandOptions::TargetKind::kSqlite;
    *target = text.substr(kSqliteScheme.size());
    return true;
  }
  if (text.starts_with("postgres://") || text.starts_with("postgresql://")) {
    *kind = ApplyCommandOptions::TargetKind::kPostgres;
    *target = text;
    return true;
  }
  if (text.starts_with(kPostgresScheme) && text.size() > kPostgresScheme.size()) {
    *kind = ApplyCommandOptions::TargetKind::kPostgres;
    *target = text.substr(kPostgresScheme.size());
    return true;
  }
  return false;
}

CLI::Validator TargetValidator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        ApplyCommandOptions::TargetKind kind;
        std::string target;
        if (!ParseTarget(text, &kind, &target)) {
          return "expected sqlite:PATH, postgres://... (a libpq URI) or postgres:CONNINFO (a libpq keyword string)";
        }
        return "";
      },
      "", "");
}

}  // namespace

CLI::App* RegisterApplyCommand(CLI::App& parent, ApplyCommandOptions& o) {
  CLI::App* app = parent.add_subcommand(
      "apply", "Apply change events (from `capture`) to a SQLite or PostgreSQL database, exactly once, in log order");
  app->add_option("LOG", o.log_dir, "The log directory")->required();
  app->add_option_function<std::string>(
         "--to", [&o](const std::string& text) { ParseTarget(text, &o.target_kind, &o.target); },
         "The target database: sqlite:PATH, postgres://USER@HOST/DB (a libpq URI) or postgres:CONNINFO")
      ->type_name("TARGET")
      ->check(TargetValidator())
      ->required();
  app->add_option("-g,--group", o.group,
                  "The group whose position the target keeps (and copies to the log's group of that name)")
      ->type_name("GROUP")
      ->check(GroupNameValidator())
      ->required();
  app->add_flag("-f,--follow", o.follow, "At the end of the log, wait for new events; stop on SIGINT or SIGTERM");
  app->add_flag("--create-tables", o.create_tables,
                "sqlite: only: create the database and any missing table from the first event that names it (no "
                "declared types; primary key from the event's key)");
  AddWholeNumberOption(*app, "--batch", [&o](uint64_t n) { o.batch = n; },
                       "Apply about N events per transaction of the target (default and most 10000); a transaction ends only where a batch of the log does, so a source transaction is never split", 1,
                       kMaxRunEvents)
      ->type_name("N");
  app->footer(
      "See evlog-apply(1).\n"
      "Exit status: 0 everything up to the log's end applied, 1 error (an event the target refuses: nothing of "
      "its transaction is applied), 2 usage error, 4 corruption, 128+N ended by signal N.");
  return app;
}

}  // namespace evlog
