#include "commands/import_command.h"

#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "args/cli_validators.h"
#include "term/exit_codes.h"
#include "term/interruption.h"
#include "term/progress.h"
#include "codec/import_source.h"
#include "codec/import_target.h"
#include "term/report.h"
#include "args/size_parse.h"
#include "args/log_limit_options.h"

namespace evlog {
namespace {

using eventlog::Result;
using eventlog::Status;

constexpr char kImportCommand[] = "import";

// What the import does with offsets, decided once the first event (or the end of an empty
// input) has been read.
struct ImportPlan {
  bool preserve = false;      // keep offsets and timestamps (Batch::AddAt)
  uint64_t first_offset = 0;  // of a new log
  eventlog::LogLimits limits;
};

// Input errors are the input's fault, not the log's: exit status 1, never 4, whatever the
// library's code (a damaged archive is kCorruption to the library).
int InputFailure(const Status& status) {
  PrintError(kImportCommand, status.message());
  PrintError(kImportCommand, "nothing was imported");
  return kExitError;
}

int LogFailure(const Status& status) {
  int code = ReportFailure(kImportCommand, status);
  PrintError(kImportCommand, "nothing was imported");
  return code;
}

eventlog::LogLimits NewLogLimits(const ImportCommandOptions& o, const eventlog::ArchiveInfo* archive) {
  eventlog::LogLimits limits;
  if (archive) {  // the source's limits: every event that fitted there fits here
    limits.segment_bytes = archive->segment_bytes;
    limits.max_event_bytes = archive->max_event_bytes;
  }
  if (o.segment_bytes) limits.segment_bytes = *o.segment_bytes;
  if (o.max_event_bytes) limits.max_event_bytes = *o.max_event_bytes;
  return limits;
}

// Offsets are kept where the log can continue them exactly: a new log is created to start
// at the first event's offset; an existing empty log only if its next offset is that one.
Result<ImportPlan> Decide(const ImportCommandOptions& o, const ImportTarget::State& target, ImportSource& source,
                          const ImportEvent* first) {
  const eventlog::ArchiveInfo* archive = source.archive();
  const bool has_offsets = first ? first->offset.has_value() : archive != nullptr;
  ImportPlan plan{.preserve = false,
                  .first_offset = first && first->offset ? *first->offset : archive ? archive->end_offset : 0,
                  .limits = NewLogLimits(o, archive)};
  std::string why;
  if (!has_offsets) {
    why = "the input carries no offsets and timestamps (JSON without \"offset\" and \"timestamp\")";
  } else if (!target.is_new && !target.empty) {
    why = fmt::format("{} is not empty (next offset {})", o.log_dir, target.next_offset);
  } else if (!target.is_new && first && plan.first_offset != target.next_offset) {
    why = fmt::format("{} is empty but continues at offset {}, and the input starts at offset {}", o.log_dir,
                      target.next_offset, plan.first_offset);
  } else {
    plan.preserve = true;
    return plan;
  }
  if (o.preserve_offsets) {
    return Status::InvalidArgument(fmt::format("--preserve-offsets: offsets cannot be preserved: {}; import into a new "
                                               "log to keep them", why));
  }
  if (has_offsets) {
    PrintNote(kImportCommand, fmt::format("note: {}: events are appended with new offsets and timestamps{}", why,
                                     archive ? "; group positions are not imported" : ""));
  }
  return plan;
}

// Reads every event into the target; the input's own errors are marked as such.
Status CopyEvents(ImportSource& source, ImportTarget& target, ImportEvent& event, bool have_event, bool preserve,
                  bool* input_error) {
  uint64_t number = 0;
  Progress progress("import", "events", 0);
  while (have_event) {
    if (int signal = Interruption()) return Status::Failed(fmt::format("interrupted by signal {}", signal));
    ++number;
    progress.Update(number);
    if (preserve && !event.offset) {
      *input_error = true;
      return Status::InvalidArgument(
          fmt::format("event {} has no offset and timestamp, but the first one had: cannot preserve offsets", number));
    }
    Status added = target.Add(event);
    if (!added.ok()) {
      return added.WithContext(event.offset && preserve ? fmt::format("event at offset {}", *event.offset)
                                                         : fmt::format("event {}", number));
    }
    auto more = source.Next(&event);
    if (!more) {
      *input_error = true;
      return more.error();
    }
    have_event = *more;
  }
  return Status::Ok();
}

Result<int> OpenInput(const std::optional<std::string>& path) {
  if (!path || *path == "-") return STDIN_FILENO;
  int fd = open(path->c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IOError(fmt::format("cannot open {}: {}", *path, std::strerror(errno)));
  return fd;
}

}  // namespace

CLI::App* RegisterImportCommand(CLI::App& parent, ImportCommandOptions& o) {
  CLI::App* app = parent.add_subcommand(
      "import", "Import an archive or JSON envelopes (from `evlog export`) into LOG, all or nothing");
  app->add_option("LOG", o.log_dir, "The log directory (created if missing)")->required();
  app->add_option_function<std::string>(
      "FILE", [&o](const std::string& path) { o.input = path; }, "The input (default: stdin)");
  app->add_flag("--no-groups", o.no_groups, "Do not import the consumer-group positions of an archive");
  app->add_flag("--append", o.append,
                "Import into a log that already holds events, after them (with new offsets and timestamps); "
                "without it such a log is refused, so that a re-run import does not copy everything twice");
  app->add_flag("--preserve-offsets", o.preserve_offsets,
                "Fail, importing nothing, unless offsets and timestamps can be kept (a new or empty log)");
  AddLogLimitOptions(*app, o.segment_bytes, o.max_event_bytes,
                     "For a new log (default: the archive's source log's, else as for append)",
                     "For a new log (default: the archive's source log's, else as for append)");
  return app;
}

static int Import(const ImportCommandOptions& o) {
  auto target = ImportTarget::Open(o.log_dir);
  if (!target) return LogFailure(target.error());
  const ImportTarget::State& state = (*target)->state();
  if (!state.empty && !o.append) {
    auto stored = (*target)->CountStoredEvents();
    if (!stored) return LogFailure(stored.error());
    if (*stored > 0) {
      return LogFailure(Status::InvalidArgument(fmt::format(
          "{} already holds {} event{}: importing into it would add every input event after them, twice over if "
          "this import ran before. Pass --append to do that, or import into a new log",
          o.log_dir, *stored, *stored == 1 ? "" : "s")));
    }
  }
  // A JSON line may spell each byte in up to 6 (\u00XX), plus the envelope around it.
  const uint64_t max_event = state.max_event_bytes ? state.max_event_bytes
                             : o.max_event_bytes  ? *o.max_event_bytes
                                                  : eventlog::LogLimits::kDefaultMaxEventBytes;
  auto input = OpenInput(o.input);
  if (!input) return InputFailure(input.error());
  auto source = ImportSource::Open(*input, 6 * max_event + (64 << 10));
  if (!source) return InputFailure(source.error());
  ImportEvent event;
  auto first = (*source)->Next(&event);
  if (!first) return InputFailure(first.error());
  auto plan = Decide(o, state, **source, *first ? &event : nullptr);
  if (!plan) return InputFailure(plan.error());
  Status begun = (*target)->Begin(plan->preserve, plan->first_offset, plan->limits);
  if (!begun.ok()) return LogFailure(begun);
  bool input_error = false;
  Status copied = CopyEvents(**source, **target, event, *first, plan->preserve, &input_error);
  if (!copied.ok()) return input_error ? InputFailure(copied) : LogFailure(copied);
  auto groups = (*source)->Finish();  // verifies an archive's checksum: only now commit
  if (!groups) return InputFailure(groups.error());
  if (o.no_groups || !plan->preserve) groups->clear();
  // From here the import completes: a signal now would only cut it between its two stores.
  HoldInterruptions(true);
  if (int signal = Interruption()) return LogFailure(Status::Failed(fmt::format("interrupted by signal {}", signal)));
  auto committed = (*target)->Commit(*groups);
  if (!committed) return ReportFailure(kImportCommand, committed.error());
  return kExitOk;
}

int RunImportCommand(const ImportCommandOptions& o) {
  CatchInterruptions();
  const int code = Import(o);  // the target, and any temporary directory, are gone on return
  if (code != kExitOk && Interruption()) ReraiseInterruption();
  return code;
}

}  // namespace evlog
