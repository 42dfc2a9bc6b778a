// Writes the format-spec test vectors with the real writer:
//   valid/           two segments, keys, headers, a binary payload, a multi-frame atomic batch
//   torn-tail/       the last batch cut mid-frame and HEAD from before it
//   corrupt-middle/  one bit flipped in the second of three committed frames
//   archive/         an export archive (format-spec §12), byte-exact: fixed ids and times
// Each directory gets expected.txt (see format-spec/vectors/README.md). Usage: make_vectors DIR
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "eventlog/archive.h"
#include "eventlog/log.h"
#include "vector_lines.h"

namespace fs = std::filesystem;
using namespace eventlog;
using eventlog::vectors::Hex;

namespace {

void Check(const Status& s) {
  if (!s.ok()) {
    std::fprintf(stderr, "make_vectors: %s\n", s.message().c_str());
    std::exit(1);
  }
}

std::unique_ptr<Log> Create(const fs::path& dir, uint64_t segment_bytes) {
  fs::remove_all(dir);
  auto log = Log::Open(dir, {.create_if_missing = true, .limits = {.segment_bytes = segment_bytes}});
  Check(log.status());
  return std::move(log).value();
}

void AppendBatch(Log& log, const std::vector<EventInput>& events, uint64_t frame_body_bytes = 1 << 20) {
  auto info = log.Info();
  Check(info.status());
  Batch batch(info->max_event_bytes, info->segment_bytes - 64, "/tmp", frame_body_bytes);
  for (const EventInput& e : events) Check(batch.Add(e));
  Check(log.Append(batch).status());
}

// One line per event: offset, key (hex, "-" for none; an empty key is "=" ), headers as
// name=value in hex joined by ",", payload in hex.
void WriteExpected(Log& log, const fs::path& file, const std::string& trailer) {
  std::ofstream out(file);
  out << "# offset key headers payload (hex; '-' no key or empty, '=' empty key)\n";
  auto reader = log.NewReader();
  Check(reader.status());
  Event e;
  while (true) {
    auto more = (*reader)->Next(&e);
    Check(more.status());
    if (!*more) break;
    out << vectors::EventLine(e) << '\n';
  }
  out << trailer;
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
void WriteFile(const fs::path& p, const std::string& data) { std::ofstream(p, std::ios::binary) << data; }

// The archive of format-spec §12.8: three events with a gap at offset 1002, one group.
void WriteArchiveVector(const fs::path& dir) {
  constexpr int64_t kT0 = 1'700'000'000'000'000'000;
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::string bytes;
  ArchiveWriter writer([&bytes](std::string_view b) {
    bytes.append(b);
    return Status::Ok();
  });
  Check(writer.Begin({.log_id = "00112233445566778899aabbccddeeff", .from_offset = 1000, .end_offset = 1004,
                      .event_count = 3, .created_ns = kT0 + 5000, .segment_bytes = 4096, .max_event_bytes = 3968}));
  const HeaderView headers[] = {{"h", "v"}};
  const std::vector<Event> events = {
      {.offset = 1000, .timestamp_ns = kT0, .key = std::nullopt, .headers = {}, .payload = "hi"},
      {.offset = 1001, .timestamp_ns = kT0 + 1000, .key = std::string_view("k"), .headers = headers, .payload = ""},
      {.offset = 1003, .timestamp_ns = kT0 + 1000, .key = std::string_view(""), .headers = {},
       .payload = std::string_view("\x00\xff", 2)}};
  std::ofstream expected(dir / "expected.txt");
  expected << "# offset key headers payload, as in the other vectors; then: group <name hex> <position>\n";
  for (const Event& e : events) {
    Check(writer.Add(e));
    expected << vectors::EventLine(e) << '\n';
  }
  const GroupInfo groups[] = {{.name = "billing", .position = 1002, .updated_ns = kT0 + 2000}};
  Check(writer.Finish(groups));
  expected << "group " << Hex("billing") << " 1002\n";
  WriteFile(dir / "events.archive", bytes);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_vectors DIR\n");
    return 2;
  }
  const fs::path root = argv[1];
  std::string binary;
  for (int c = 0; c < 256; ++c) binary.push_back(static_cast<char>(c));
  const HeaderView headers[] = {{"type", "created"}, {"trace", std::string_view("\x00\x01", 2)}};

  {  // valid: 4 KiB segments so the log rolls once; a FIRST/MIDDLE/LAST batch of small frames.
    auto log = Create(root / "valid", 4096);
    AppendBatch(*log, {{.payload = "hello"}, {.key = std::string_view("user-1"), .headers = headers, .payload = "{\"a\":1}"}});
    AppendBatch(*log, {{.key = std::string_view(""), .payload = ""}, {.payload = binary}});
    std::vector<std::string> group;
    for (int i = 0; i < 6; ++i) group.push_back("atomic-" + std::to_string(i) + std::string(300, 'g'));
    std::vector<EventInput> inputs;
    for (const std::string& g : group) inputs.push_back({.payload = g});
    AppendBatch(*log, inputs, /*frame_body_bytes=*/700);
    AppendBatch(*log, {{.payload = std::string(3000, 'r')}});  // does not fit: rolls
    AppendBatch(*log, {{.payload = "last"}});
    WriteExpected(*log, root / "valid" / "expected.txt", "");
  }
  {  // torn-tail: HEAD from before the last batch, the last frame cut in half.
    const fs::path dir = root / "torn-tail";
    auto log = Create(dir, 1 << 20);
    for (const char* p : {"one", "two", "three"}) AppendBatch(*log, {{.payload = p}});
    const std::string head = ReadFile(dir / "HEAD");
    const uint64_t end = fs::file_size(dir / "00000000000000000000.seg");
    AppendBatch(*log, {{.payload = "never-acknowledged"}, {.payload = "also-lost"}});
    log.reset();
    fs::resize_file(dir / "00000000000000000000.seg", end + 40);
    WriteFile(dir / "HEAD", head);
    fs::remove(dir / "00000000000000000000.idx");
    auto reopened = Log::Open(dir, {});
    Check(reopened.status());
    std::ofstream(dir / "expected.txt")
        << "# after recovery: offsets 0..2, and a note that a torn tail of 40 bytes was cut at byte " << end << "\n"
        << "0 - - " << Hex("one") << "\n1 - - " << Hex("two") << "\n2 - - " << Hex("three") << "\n"
        << "note torn tail of 40 bytes at byte " << end << "\n";
  }
  {  // corrupt-middle: a flipped bit in the payload of the second frame, below the committed end.
    const fs::path dir = root / "corrupt-middle";
    auto log = Create(dir, 1 << 20);
    for (const char* p : {"first", "second", "third"}) AppendBatch(*log, {{.payload = p}});
    log.reset();
    std::string seg = ReadFile(dir / "00000000000000000000.seg");
    const size_t frame = (seg.size() - 64) / 3;
    const size_t position = 64 + frame;  // the second frame
    seg[position + 64 + 6] ^= 0x01;      // a byte of its payload
    WriteFile(dir / "00000000000000000000.seg", seg);
    std::ofstream(dir / "expected.txt")
        << "# reading fails: checksum mismatch in the second frame; offset 0 reads before that\n"
        << "0 - - " << Hex("first") << "\n"
        << "error segment 00000000000000000000.seg: checksum mismatch at byte " << position << " (offset 1 onwards)\n";
  }
  WriteArchiveVector(root / "archive");
  for (const char* v : {"valid", "torn-tail", "corrupt-middle"}) fs::remove(root / v / "LOCK");
  return 0;
}
