#include "replay/replay_input.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "codec/json_envelope.h"
#include "codec/output_buffer.h"
#include "codec/time_parse.h"

extern char** environ;

namespace evlog {
namespace {

constexpr std::string_view kPrefix = "EVLOG_";

std::string Timestamp(int64_t timestamp_ns) {
  char text[kRfc3339NanosLength];
  FormatRfc3339Nanos(timestamp_ns, text);
  return std::string(text, sizeof text);
}

// Variables describing the event(s), by name: a map, so that a later header replaces an
// earlier one of the same variable name (getenv would find the first).
std::map<std::string, std::string> EventVariables(std::span<const OwnedEvent> events,
                                                  const ReplayContext& context, int attempt) {
  std::map<std::string, std::string> vars;
  const OwnedEvent& first = events.front();
  vars["EVLOG_OFFSET"] = std::to_string(first.offset);
  vars["EVLOG_ATTEMPT"] = std::to_string(attempt);
  vars["EVLOG_LOG"] = context.log_path;
  if (context.group) vars["EVLOG_GROUP"] = *context.group;
  if (context.batch) {
    vars["EVLOG_COUNT"] = std::to_string(events.size());
    return vars;
  }
  vars["EVLOG_TIMESTAMP"] = Timestamp(first.timestamp_ns);
  if (first.key) vars["EVLOG_KEY"] = *first.key;
  for (const auto& [name, value] : first.headers) vars[HeaderVariable(name)] = value;
  return vars;
}

// Renders JSON lines through an OutputBuffer, which writes to a file descriptor: an
// anonymous in-memory file, read back whole.
eventlog::Result<std::string> JsonLines(std::span<const OwnedEvent> events) {
  int fd = memfd_create("evlog-replay-batch", MFD_CLOEXEC);
  if (fd < 0) return eventlog::Status::IOError(std::string("memfd_create: ") + std::strerror(errno));
  bool written;
  {
    OutputBuffer out(fd);
    std::vector<eventlog::HeaderView> headers;
    for (const OwnedEvent& event : events) {
      AppendEventJson(event.View(&headers), out);
      out.Append('\n');
    }
    written = out.Flush();
  }
  std::string text(static_cast<size_t>(written ? lseek(fd, 0, SEEK_CUR) : 0), '\0');
  bool read_back = written && pread(fd, text.data(), text.size(), 0) == static_cast<ssize_t>(text.size());
  int err = errno;
  close(fd);
  if (!read_back) return eventlog::Status::IOError(std::string("batch input: ") + std::strerror(err));
  return text;
}

}  // namespace

OwnedEvent OwnedEvent::CopyOf(const eventlog::Event& event) {
  OwnedEvent copy{.offset = event.offset,
                  .timestamp_ns = event.timestamp_ns,
                  .key = std::nullopt,
                  .headers = {},
                  .payload = std::string(event.payload)};
  if (event.key) copy.key = std::string(*event.key);
  for (const eventlog::HeaderView& h : event.headers) copy.headers.emplace_back(h.name, h.value);
  return copy;
}

eventlog::Event OwnedEvent::View(std::vector<eventlog::HeaderView>* header_views) const {
  header_views->clear();
  for (const auto& [name, value] : headers) header_views->push_back({name, value});
  eventlog::Event view{.offset = offset,
                       .timestamp_ns = timestamp_ns,
                       .key = std::nullopt,
                       .headers = *header_views,
                       .payload = payload};
  if (key) view.key = *key;
  return view;
}

std::string DescribeOffsets(std::span<const OwnedEvent> events) {
  if (events.size() == 1) return "offset " + std::to_string(events.front().offset);
  return "offsets " + std::to_string(events.front().offset) + ".." + std::to_string(events.back().offset);
}

std::string HeaderVariable(std::string_view header_name) {
  std::string name(kPrefix);
  name += "HEADER_";
  for (char c : header_name) {
    auto u = static_cast<unsigned char>(c);
    name += std::isalnum(u) != 0 && u < 0x80 ? static_cast<char>(std::toupper(u)) : '_';
  }
  return name;
}

std::vector<std::string> InheritedEnvironment() {
  std::vector<std::string> inherited;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    if (std::string_view(*entry).substr(0, kPrefix.size()) != kPrefix) inherited.emplace_back(*entry);
  }
  return inherited;
}

ValueFiles::~ValueFiles() {
  for (int fd : fds_) close(fd);
}

eventlog::Result<std::string> ValueFiles::Add(std::string_view value) {
  int fd = memfd_create("evlog-replay-value", 0);  // inherited by the command: no CLOEXEC
  if (fd < 0) return eventlog::Status::IOError(std::string("memfd_create: ") + std::strerror(errno));
  fds_.push_back(fd);
  for (size_t at = 0; at < value.size();) {
    ssize_t n = write(fd, value.data() + at, value.size() - at);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return eventlog::Status::IOError(std::string("writing a value file: ") + std::strerror(errno));
    at += static_cast<size_t>(n);
  }
  return "/dev/fd/" + std::to_string(fd);
}

eventlog::Result<std::vector<std::string>> CommandEnvironment(const std::vector<std::string>& inherited,
                                                              std::span<const OwnedEvent> events,
                                                              const ReplayContext& context, int attempt,
                                                              ValueFiles* files, bool all_in_files) {
  for (const auto& [name, value] : context.batch ? std::span<const std::pair<std::string, std::string>>()
                                                 : std::span(events.front().headers)) {
    if (name.size() > kMaxHeaderNameBytes) {
      return eventlog::Status::InvalidArgument(fmt::format(
          "header name of {} bytes is longer than {} bytes, too long to name an environment variable", name.size(),
          kMaxHeaderNameBytes));
    }
  }
  // The variables whose values go to files: the largest first, until the rest fit.
  std::map<std::string, std::string> vars = EventVariables(events, context, attempt);
  std::vector<std::pair<size_t, const std::string*>> by_size;
  size_t total = 0;
  for (const auto& [name, value] : vars) {
    by_size.emplace_back(value.size(), &name);
    total += value.size();
  }
  std::sort(by_size.rbegin(), by_size.rend());
  std::vector<std::string> environment = inherited;
  for (const auto& [size, name] : by_size) {
    std::string& value = vars[*name];
    const bool event_data = *name == "EVLOG_KEY" || name->starts_with("EVLOG_HEADER_");
    if ((all_in_files && event_data) || size > kMaxVariableBytes || total > kMaxEventVariableBytes) {
      total -= size;
      EVLOG_ASSIGN_OR_RETURN(std::string path, files->Add(value));
      environment.push_back(*name + "_FILE=" + path);
    } else {
      // An environment string ends at its first NUL.
      environment.push_back(*name + "=" + value.substr(0, value.find('\0')));
    }
  }
  return environment;
}

eventlog::Result<std::string> CommandInput(std::span<const OwnedEvent> events,
                                           const ReplayContext& context) {
  if (context.batch) return JsonLines(events);
  return events.front().payload;
}

}  // namespace evlog
