#include "commands/ack_command.h"

#include <fmt/core.h>
#include <poll.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstring>

#include "eventlog/consumer_groups.h"
#include "eventlog/log.h"
#include "term/exit_codes.h"
#include "args/group_options.h"
#include "term/report.h"
#include "term/table.h"
#include "args/number_option.h"
#include "args/size_parse.h"

namespace evlog {
namespace {

constexpr char kAckCommand[] = "ack";
// The longest input line taken as a candidate offset: 20 digits and generous padding.
constexpr size_t kMaxLineBytes = 64;

// Reads one line of `fd` into *line, without its newline. False at the end of input when
// no byte was read. Reads a byte at a time so that nothing after the line is taken from
// the input: the next line is read only once this one's ack is durable, and after an
// error the rest of the input is left unread for whatever reads the stream next. (One
// read(2) per byte is cheap next to the fsync every ack costs.) A line longer than
// kMaxLineBytes is cut there: it cannot be an offset, and the caller reports it.
// Blanks (spaces, tabs, carriage returns) before the offset are dropped and a run of them
// after it is kept as one, so that padding of any length is allowed, as the man page says,
// while the line kept stays bounded. A stdin left non-blocking by the program that
// shares it (EAGAIN) is waited on.
eventlog::Result<bool> ReadLine(int fd, std::string* line) {
  line->clear();
  bool read_any = false;
  char c;
  while (line->size() <= kMaxLineBytes) {
    ssize_t n = read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd readable{.fd = fd, .events = POLLIN, .revents = 0};
      if (poll(&readable, 1, -1) < 0 && errno != EINTR) {
        return eventlog::Status::IOError(std::string("cannot wait for stdin: ") + std::strerror(errno));
      }
      continue;
    }
    if (n < 0) return eventlog::Status::IOError(std::string("cannot read stdin: ") + std::strerror(errno));
    if (n == 0) return read_any;
    read_any = true;
    if (c == '\n') return true;
    const bool blank = c == ' ' || c == '\t' || c == '\r';
    if (blank && (line->empty() || line->back() == ' ')) continue;
    line->push_back(blank ? ' ' : c);
  }
  return true;
}

std::string_view Trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r";
  size_t begin = text.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  return text.substr(begin, text.find_last_not_of(kSpace) + 1 - begin);
}

// The offset on one input line, or nullopt for a blank line.
eventlog::Result<std::optional<uint64_t>> ParseOffsetLine(std::string line) {
  const bool too_long = line.size() > kMaxLineBytes;  // ReadLine stopped inside it
  if (too_long) line.replace(kMaxLineBytes, std::string::npos, "...");
  std::string_view text = Trim(line);
  if (text.empty() && !too_long) return std::optional<uint64_t>();
  std::optional<uint64_t> offset = too_long ? std::nullopt : ParseUnsigned(text);
  if (!offset) return eventlog::Status::InvalidArgument(fmt::format("'{}' is not an offset", DisplayText(text)));
  return offset;
}

// Says how far the input got before an error, so the caller knows what is committed.
void PrintProgress(eventlog::ConsumerGroups& groups, const std::string& group, uint64_t acked) {
  auto info = groups.Get(group);
  std::string position = info ? std::to_string(info->position) : "unknown (" + info.error().message() + ")";
  PrintError(kAckCommand, fmt::format("{} offset{} acked before the error; group '{}' is at position {}", acked,
                                   acked == 1 ? "" : "s", group, position));
}

// Acks every offset on stdin in input order, each durable before the next line is read.
int AckFromStdin(eventlog::ConsumerGroups& groups, const std::string& group) {
  uint64_t line_number = 0;
  uint64_t acked = 0;
  std::string line;
  while (true) {
    auto more = ReadLine(STDIN_FILENO, &line);
    if (!more) {
      PrintError(kAckCommand, more.error().message());
      PrintProgress(groups, group, acked);
      return kExitError;
    }
    if (!*more) return kExitOk;
    ++line_number;
    auto offset = ParseOffsetLine(line);
    if (offset && !*offset) continue;
    eventlog::Status status = offset ? groups.Ack(group, **offset).status() : offset.error();
    if (!status.ok()) {
      PrintError(kAckCommand, fmt::format("stdin line {}: {}", line_number, status.message()));
      PrintProgress(groups, group, acked);
      return ExitCodeFor(status);
    }
    ++acked;
  }
}

}  // namespace

CLI::App* RegisterAckCommand(CLI::App& parent, AckCommandOptions& o) {
  CLI::App* app = parent.add_subcommand(
      "ack", "Mark every event up to and including OFFSET as processed by a consumer group");
  app->add_option("LOG", o.log_dir, "The log directory")->required();
  AddWholeNumberOption(*app, "OFFSET", [&o](uint64_t offset) { o.offset = offset; },
                       "The last processed offset; without it, offsets are read from stdin, one per line, "
                       "and each is committed (durably) before the next line is read")
      ->type_name("OFFSET");
  app->add_option("-g,--group", o.group, "The consumer group (created on first ack)")
      ->type_name("GROUP")
      ->required()
      ->check(GroupNameValidator());
  return app;
}

int RunAckCommand(const AckCommandOptions& o) {
  auto log =
      eventlog::Log::Open(o.log_dir, {.create_if_missing = false, .limits = {}, .fs = nullptr});
  if (!log) return ReportFailure(kAckCommand, log.error());
  PrintRecoveryNotes(kAckCommand, **log);
  auto groups = eventlog::ConsumerGroups::Open(**log);
  if (!groups) return ReportFailure(kAckCommand, groups.error());
  if (!o.offset) return AckFromStdin(**groups, o.group);
  // At or below the committed position this is a no-op: acks may arrive late or twice.
  auto acked = (*groups)->Ack(o.group, *o.offset);
  if (!acked) return ReportFailure(kAckCommand, acked.error());
  return kExitOk;
}

}  // namespace evlog
