// JSON envelopes as `append --json` and `import` read them (cli/codec/): DecodeEnvelope, the
// EventBuilder of `append --json`, ReadEnvelopePosition, and ImportSource over a whole input.
//
// Input: a stream of lines, as a user would pipe in.
// Properties beyond not crashing:
//   - `append --json` (EventBuilder) accepts exactly the lines DecodeEnvelope accepts, and
//     builds the event DecodeEnvelope describes;
//   - an accepted envelope, written back by AppendEventJson (what `tail --json` prints),
//     decodes to the same key, headers and payload, and its offset and timestamp read back
//     exactly, at the extremes of the timestamp range too;
//   - ImportSource accepts a JSON input only if every line it took is an accepted envelope
//     (checked on one input in 32, see below).
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "codec/event_builder.h"
#include "codec/import_source.h"
#include "codec/json_envelope.h"
#include "codec/output_buffer.h"
#include "fuzz_check.h"

namespace evlog {
namespace {

// An in-memory file: what AppendEventJson writes, and what ImportSource reads.
int MemoryFile() {
  static const int fd = memfd_create("evlog-fuzz", 0);
  FUZZ_CHECK(fd >= 0);
  FUZZ_CHECK(ftruncate(fd, 0) == 0 && lseek(fd, 0, SEEK_SET) == 0);
  return fd;
}

std::string ReadBack(int fd) {
  std::string out(static_cast<size_t>(lseek(fd, 0, SEEK_END)), '\0');
  FUZZ_CHECK(pread(fd, out.data(), out.size(), 0) == static_cast<ssize_t>(out.size()));
  return out;
}

std::string PrintJson(const eventlog::Event& event) {
  const int fd = MemoryFile();
  OutputBuffer out(fd, 64);  // small, so that long fields take the flushing paths
  AppendEventJson(event, out);
  FUZZ_CHECK(out.Flush());
  return ReadBack(fd);
}

bool SameEnvelope(const DecodedEnvelope& x, const DecodedEnvelope& y) {
  return x.has_key == y.has_key && (!x.has_key || x.key == y.key) && x.headers == y.headers && x.payload == y.payload;
}

// Returns whether `append --json` takes the line as an event.
bool CheckLine(std::string_view line, size_t number) {
  DecodedEnvelope decoded;
  const bool accepted = DecodeEnvelope(line, &decoded).ok();
  EventBuilder builder({.json = true});
  eventlog::EventInput built;
  if (!builder.Skips(line)) {
    FUZZ_CHECK(builder.Build(line, &built).ok() == accepted);
  }
  if (!accepted) return false;
  std::vector<eventlog::HeaderView> headers;
  for (const auto& [name, value] : decoded.headers) headers.push_back({name, value});
  if (!builder.Skips(line)) {
    FUZZ_CHECK(built.key.has_value() == decoded.has_key && (!decoded.has_key || *built.key == decoded.key));
    FUZZ_CHECK(built.payload == decoded.payload && built.headers.size() == headers.size());
    for (size_t i = 0; i < headers.size(); ++i) {
      FUZZ_CHECK(built.headers[i].name == headers[i].name && built.headers[i].value == headers[i].value);
    }
  }
  static constexpr int64_t kTimes[] = {0, -1, INT64_MIN, INT64_MAX, 1764410400123456789};
  eventlog::Event event{number, kTimes[number % 5], std::nullopt, headers, decoded.payload};
  if (decoded.has_key) event.key = decoded.key;
  const std::string printed = PrintJson(event);
  DecodedEnvelope again;
  FUZZ_CHECK(DecodeEnvelope(printed, &again).ok() && SameEnvelope(again, decoded));
  std::optional<uint64_t> offset;
  int64_t timestamp = 0;
  FUZZ_CHECK(ReadEnvelopePosition(printed, &offset, &timestamp).ok());
  FUZZ_CHECK(offset == event.offset && timestamp == event.timestamp_ns);
  return !builder.Skips(line);
}

// The whole input through `import`'s reader, which also detects archives.
// `events`: the lines `append --json` took as events; `all_taken`: no other line but blank ones.
void CheckImport(std::string_view input, size_t events, bool all_taken) {
  const int fd = MemoryFile();
  FUZZ_CHECK(write(fd, input.data(), input.size()) == static_cast<ssize_t>(input.size()));
  FUZZ_CHECK(lseek(fd, 0, SEEK_SET) == 0);
  auto source = ImportSource::Open(fd, 1 << 20);
  if (!source) return;
  ImportEvent e;
  size_t imported = 0;
  while (true) {
    auto more = (*source)->Next(&e);
    if (!more) return;
    if (!*more) break;
    ++imported;
  }
  const bool finished = (*source)->Finish().has_value();
  if ((*source)->archive() == nullptr) FUZZ_CHECK(finished && all_taken && imported == events);
}

}  // namespace
}  // namespace evlog

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(bytes), size);
  size_t number = 0, events = 0;
  bool all_taken = true;
  for (size_t begin = 0; begin <= input.size(); ++number) {
    size_t end = input.find('\n', begin);
    if (end == std::string_view::npos) end = input.size();
    const std::string_view line = input.substr(begin, end - begin);
    if (evlog::CheckLine(line, number)) {
      ++events;
    } else if (!evlog::EventBuilder({.json = true}).Skips(line)) {
      all_taken = false;
    }
    begin = end + 1;
  }
  // ImportSource reads in 1 MiB chunks, whose zeroing and page faults cost a hundred times the
  // rest of this function: one input in 32, chosen by its bytes (so a replay repeats it), goes
  // through it.
  if (std::hash<std::string_view>()(input) % 32 == 0) evlog::CheckImport(input, events, all_taken);
  return 0;
}
