#include "commands/verify_command.h"

#include <algorithm>

#include <fmt/core.h>

#include <CLI/CLI.hpp>

#include "eventlog/log.h"
#include "eventlog/repair.h"
#include "eventlog/verify.h"
#include "term/exit_codes.h"
#include "args/lock_options.h"
#include "term/byte_size.h"
#include "term/progress.h"
#include "term/report.h"

namespace evlog {
namespace {

constexpr char kVerifyCommand[] = "verify";

const char* KindLabel(eventlog::VerifyProblem::Kind kind) {
  switch (kind) {
    case eventlog::VerifyProblem::Kind::kCorruption: return "damaged";
    case eventlog::VerifyProblem::Kind::kTornTail: return "torn tail";
    case eventlog::VerifyProblem::Kind::kIndex: return "index";
    case eventlog::VerifyProblem::Kind::kQuarantined: return "quarantined";
  }
  return "problem";
}

// What was checked, then one line per problem: "KIND FILE at byte N: message".
void PrintReport(const eventlog::VerifyReport& r) {
  fmt::print("checked META, HEAD, {} segment{} ({} frames, {} events, {}) with their indexes, {} group{}\n",
             r.segments, r.segments == 1 ? "" : "s", r.frames, r.events, FormatByteSize(r.bytes), r.groups,
             r.groups == 1 ? "" : "s");
  for (const eventlog::VerifyProblem& p : r.problems) {
    fmt::print("{}: {} at byte {}: {}\n", KindLabel(p.kind), p.file, p.position, p.message);
  }
  if (r.clean()) {
    fmt::print("ok: no problem found\n");
  } else if (r.corrupt()) {
    // --repair --force sets damaged segments aside; it does nothing for the group store, so
    // do not send someone there whose segments are whole.
    const bool segments_damaged = std::any_of(r.problems.begin(), r.problems.end(), [](const auto& p) {
      return p.kind == eventlog::VerifyProblem::Kind::kCorruption && p.file != "groups";
    });
    if (segments_damaged) {
      fmt::print("committed data is damaged; `evlog verify --repair --force` moves damaged segments to quarantine/\n");
    } else {
      fmt::print("the events are intact; the consumer-group store is damaged: see the message above\n");
    }
  } else {
    fmt::print("no committed data is damaged; `evlog verify --repair` fixes the rest\n");
  }
}

int Repair(eventlog::Log& log, bool force) {
  auto repaired = eventlog::RepairLog(log, force);
  if (!repaired) {
    if (repaired.error().code() == eventlog::StatusCode::kCorruption) {
      PrintError(kVerifyCommand, repaired.error().message() + " (nothing was discarded; --force moves the damaged "
                                                        "segments to quarantine/)");
      return kExitCorruption;
    }
    return ReportFailure(kVerifyCommand, repaired.error());
  }
  for (const std::string& action : repaired->actions) fmt::print("repaired: {}\n", action);
  return kExitOk;
}

}  // namespace

CLI::App* RegisterVerifyCommand(CLI::App& parent, VerifyCommandOptions& o) {
  CLI::App* app = parent.add_subcommand(
      "verify", "Check every checksum, the chain, offsets, segment headers, indexes and group positions");
  app->add_option("LOG", o.log_dir, "The log directory")->required();
  app->add_flag("--repair", o.repair, "Cut a torn tail and rebuild indexes; never discards committed data");
  app->add_flag("--force", o.force, "With --repair: move damaged segments to LOG/quarantine/ (never deleted)")
      ->needs("--repair");
  AddWaitLockOption(*app, o.wait_lock);
  return app;
}

int RunVerifyCommand(const VerifyCommandOptions& o) {
  eventlog::LogOptions log_options;
  ApplyLockOptions(log_options, o.wait_lock, kVerifyCommand);
  auto log = eventlog::Log::Open(o.log_dir, log_options);
  if (!log) return ReportFailure(kVerifyCommand, log.error());
  if (o.repair) {
    int status = Repair(**log, o.force);
    if (status != kExitOk) return status;
  }
  Progress progress("verify", "bytes", 0);
  auto report = eventlog::VerifyLog(**log, [&](uint64_t done, uint64_t total) {
    progress.SetTotal(total);
    progress.Update(done);
  });
  if (!report) return ReportFailure(kVerifyCommand, report.error());
  PrintReport(*report);
  std::fflush(stdout);
  return report->corrupt() ? kExitCorruption : kExitOk;
}

}  // namespace evlog
