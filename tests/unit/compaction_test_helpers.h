// Vocabulary for the compaction tests: fill a log with segments, list them, compact.
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "eventlog/compaction.h"
#include "segment.h"
#include "test_helpers.h"

namespace eventlog::test {

// Base offsets of the log's segments, ascending.
inline std::vector<uint64_t> Segments(TestLog& t) {
  auto segments = ListSegments(&t.fs(), TestLog::kDir);
  REQUIRE(segments.has_value());
  return *segments;
}

// Appends batches of four 200-byte events until the log has `count` segments; returns them.
inline std::vector<uint64_t> FillSegments(TestLog& t, size_t count) {
  int batch = 0;
  while (Segments(t).size() < count) {
    REQUIRE(t.Append(Numbered(std::to_string(batch++) + "." + std::string(200, 'x') + ".", 0, 4)).has_value());
  }
  return Segments(t);
}

inline std::vector<uint64_t> Offsets(TestLog& t) {
  auto events = t.ReadAll();
  REQUIRE_MESSAGE(events.has_value(), events.status().message());
  std::vector<uint64_t> offsets;
  for (const ReadEvent& e : *events) offsets.push_back(e.offset);
  return offsets;
}

inline CompactionReport Compact(TestLog& t, const CompactionOptions& options) {
  auto report = CompactLog(t.log(), options);
  REQUIRE_MESSAGE(report.has_value(), report.status().message());
  return *report;
}

}  // namespace eventlog::test
