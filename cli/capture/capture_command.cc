// The command line of `evlog capture`: its options, registered with CLI11. Running it lives
// in capture_run.cc, apart, because only the evlog-connectors program links SQLite and libpq
// (commands/connector_handoff.h says why).
#include <CLI/CLI.hpp>

#include "capture/capture_command.h"

namespace evlog {

CLI::App* RegisterCaptureCommand(CLI::App& parent, CaptureCommandOptions& o) {
  CLI::App* capture = parent.add_subcommand("capture", "Turn a database's committed row changes into events");
  capture->require_subcommand(1);
  CLI::App* sqlite = capture->add_subcommand(
      "sqlite", "SQLite: --install triggers that record each change in an outbox table, or relay the outbox into LOG");
  sqlite->add_option("DB", o.db_path, "The SQLite database file (must exist)")->required();
  sqlite->add_option("LOG", o.log_dir, "The log to relay changes into (created if missing)");
  sqlite->add_flag("--install", o.install, "Create the outbox and the triggers of each -t TABLE (idempotent)");
  sqlite->add_flag("--uninstall", o.uninstall, "Remove the triggers of each -t TABLE (default: all), then the outbox");
  sqlite->add_option("-t,--table", o.tables, "A table to capture (repeatable)")->type_name("TABLE")->allow_extra_args(false);
  sqlite->add_flag("-f,--follow", o.follow, "Keep relaying new changes until SIGINT or SIGTERM");
  sqlite->add_flag("--snapshot", o.snapshot, "First emit every existing row of the captured tables as an 'r' event");
  CLI::App* postgres = capture->add_subcommand(
      "postgres", "PostgreSQL: stream a logical replication slot's committed transactions into LOG, one batch each");
  pg::CapturePostgresOptions& p = o.postgres;
  postgres->add_option("CONNINFO", p.conninfo, "libpq connection string or URI of the source database")->required();
  postgres->add_option("LOG", p.log_dir, "The log to capture into (created if missing)")->required();
  postgres->add_option("--slot", p.slot, "The logical replication slot to stream from")->required();
  postgres->add_flag("--create-slot", p.create_slot,
                     "Create the slot if missing (and with -t, the publication if missing)");
  postgres->add_flag("--drop-slot", p.drop_slot, "Drop the slot, then exit (the server then frees its WAL)");
  postgres->add_option("--publication", p.publication, "The publication to stream (default: the slot's name)");
  postgres->add_option("-t,--table", p.tables, "With --create-slot: a table of the publication to create (repeatable)")
      ->type_name("TABLE")
      ->allow_extra_args(false);
  postgres->add_flag("-f,--follow", p.follow, "Keep capturing until SIGINT or SIGTERM");
  postgres->add_flag("--snapshot", p.snapshot,
                     "With --create-slot on a new slot: first every row of the publication's tables, as 'r' events");
  postgres->final_callback([&o] { o.postgres_selected = true; });
  return capture;
}


}  // namespace evlog
