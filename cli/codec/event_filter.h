// Which events `tail` and `export` print: --key, --header and --grep, compiled once and
// tested per event on the reader's views, before any decoding into output. An event
// passes when every kind of filter given passes:
//   --key      any of the patterns matches its key (an event without a key never does)
//   --header   every NAME=VALUE is among its headers (byte-exact); a NAME alone only asks
//              that a header of that name be present, whatever its value
//   --grep     the regex is found somewhere in its payload
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "codec/key_glob.h"
#include "codec/payload_regex.h"
#include "eventlog/event.h"
#include "eventlog/status.h"

namespace evlog {

struct EventFilterOptions {
  std::vector<std::string> keys;     // exact keys or globs (key_glob.h)
  std::vector<std::string> headers;  // NAME=VALUE or NAME
  std::optional<std::string> grep;

  bool empty() const { return keys.empty() && headers.empty() && !grep; }
};

class EventFilter {
 public:
  // kInvalidArgument naming the pattern and what is wrong with it.
  static eventlog::Result<EventFilter> Compile(const EventFilterOptions& options);

  bool Matches(const eventlog::Event& event) const;

  // Events a --grep search gave up on (regex limits): they did not pass, but they are not
  // known not to match, so the command must say so.
  uint64_t undecided() const { return undecided_; }
  uint64_t first_undecided_offset() const { return first_undecided_offset_; }
  // Counts `count` undecided events, the first at `first_offset`, that another filter (one
  // per reader thread) met after every event this one has seen.
  void ResetUndecided() { undecided_ = first_undecided_offset_ = 0; }
  void AddUndecided(uint64_t count, uint64_t first_offset) {
    if (count == 0) return;
    if (undecided_ == 0) first_undecided_offset_ = first_offset;
    undecided_ += count;
  }

 private:
  struct HeaderTest {
    std::string name;
    std::optional<std::string> value;  // none: present with any value
  };

  std::vector<KeyGlob> keys_;
  std::vector<HeaderTest> headers_;
  std::optional<PayloadRegex> grep_;
  mutable uint64_t undecided_ = 0;
  mutable uint64_t first_undecided_offset_ = 0;
};

}  // namespace evlog
