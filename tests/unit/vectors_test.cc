// Decodes the golden files in format-spec/vectors with the library and checks the events,
// notes and errors listed in each expected.txt, so that the spec's vectors and the code
// cannot drift apart. Regenerate them with scripts/gen-test-vectors.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "eventlog/archive.h"
#include "eventlog/log.h"
#include "vector_lines.h"

namespace eventlog {
namespace {

namespace fs = std::filesystem;

// Copies a vector to a scratch directory: recovery may repair it, the golden file stays.
fs::path Scratch(const std::string& name) {
  fs::path src = fs::path(EVLOG_VECTORS_DIR) / name;
  fs::path dst = fs::temp_directory_path() / ("evlog-vector-" + name + "-" + std::to_string(getpid()));
  fs::remove_all(dst);
  fs::copy(src, dst, fs::copy_options::recursive);
  return dst;
}

struct Expected {
  std::vector<std::string> events;  // "offset key headers payload"
  std::string note, error;
};

Expected ReadExpected(const fs::path& dir) {
  Expected e;
  std::ifstream in(dir / "expected.txt");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("#", 0) == 0) continue;
    if (line.rfind("note ", 0) == 0) e.note = line.substr(5);
    else if (line.rfind("error ", 0) == 0) e.error = line.substr(6);
    else e.events.push_back(line);
  }
  return e;
}

// Reads every event as an expected.txt line; stops at the first error, returned in *error.
std::vector<std::string> Decode(Log& log, std::string* error) {
  std::vector<std::string> lines;
  auto reader = log.NewReader();
  REQUIRE(reader.has_value());
  Event e;
  while (true) {
    auto more = (*reader)->Next(&e);
    if (!more) {
      *error = more.status().message();
      break;
    }
    if (!*more) break;
    lines.push_back(vectors::EventLine(e));
  }
  return lines;
}

}  // namespace

TEST_CASE("GoldenVectorsDecodeToTheirExpectedEvents") {
  for (const char* name : {"valid", "torn-tail", "corrupt-middle"}) {
    CAPTURE(name);
    fs::path dir = Scratch(name);
    Expected expected = ReadExpected(dir);
    auto log = Log::Open(dir, {});
    REQUIRE_MESSAGE(log.has_value(), log.status().message());
    // A writer refuses a log whose committed data is damaged (format-spec §8.3): recovery of
    // corrupt-middle fails with the same error readers report, and changes nothing.
    Status recovered = (*log)->Recover();
    if (expected.error.empty()) {
      REQUIRE_MESSAGE(recovered.ok(), recovered.message());
    } else {
      CHECK(recovered.code() == StatusCode::kCorruption);
      CHECK_MESSAGE(recovered.message().find(expected.error.substr(0, expected.error.find(" (offset"))) !=
                        std::string::npos,
                    recovered.message());
    }
    std::string notes;
    for (const std::string& n : (*log)->recovery_notes()) notes += n;
    if (expected.note.empty()) {
      CHECK(notes.empty());
    } else {
      CHECK_MESSAGE(notes.find(expected.note) != std::string::npos, notes);
    }
    std::string error;
    CHECK(Decode(**log, &error) == expected.events);
    CHECK(error == expected.error);
    fs::remove_all(dir);
  }
}

TEST_CASE("GoldenArchiveDecodesToItsExpectedEventsAndReencodesByteExact") {
  const fs::path dir = fs::path(EVLOG_VECTORS_DIR) / "archive";
  std::ifstream in(dir / "events.archive", std::ios::binary);
  const std::string golden((std::istreambuf_iterator<char>(in)), {});
  size_t at = 0;
  auto reader = ArchiveReader::Open([&](std::span<char> buffer) -> Result<size_t> {
    size_t n = std::min(buffer.size(), golden.size() - at);
    std::copy_n(golden.data() + at, n, buffer.data());
    at += n;
    return n;
  });
  REQUIRE_MESSAGE(reader.has_value(), reader.status().message());
  std::string reencoded;
  ArchiveWriter writer([&](std::string_view bytes) {
    reencoded.append(bytes);
    return Status::Ok();
  });
  REQUIRE(writer.Begin((*reader)->info()).ok());
  std::vector<std::string> lines;
  Event e;
  while (true) {
    auto more = (*reader)->Next(&e);
    REQUIRE_MESSAGE(more.has_value(), more.status().message());
    if (!*more) break;
    lines.push_back(vectors::EventLine(e));
    REQUIRE(writer.Add(e).ok());
  }
  auto groups = (*reader)->Finish();
  REQUIRE_MESSAGE(groups.has_value(), groups.status().message());
  for (const GroupInfo& g : *groups) lines.push_back("group " + vectors::Hex(g.name) + " " + std::to_string(g.position));
  Expected expected;
  {
    std::ifstream file(dir / "expected.txt");
    for (std::string line; std::getline(file, line);) {
      if (line.rfind("#", 0) != 0) expected.events.push_back(line);
    }
  }
  CHECK(lines == expected.events);
  REQUIRE(writer.Finish(*groups).ok());
  CHECK(reencoded == golden);
}

}  // namespace eventlog
