#include "args/position.h"

#include "args/size_parse.h"

namespace evlog {

std::optional<Position> ParsePosition(std::string_view text) {
  using Kind = Position::Kind;
  if (text == "beginning") return Position{Kind::kBeginning, 0};
  if (text == "end") return Position{Kind::kEnd, 0};
  if (!text.empty() && text[0] == '-') {
    auto n = ParseUnsigned(text.substr(1));
    if (!n) return std::nullopt;
    return Position{Kind::kBeforeEnd, *n};
  }
  auto offset = ParseUnsigned(text);
  if (!offset) return std::nullopt;
  return Position{Kind::kOffset, *offset};
}

uint64_t StartOffset(const Position& position, const eventlog::LogInfo& info) {
  switch (position.kind) {
    case Position::Kind::kBeginning: return info.first_offset;
    case Position::Kind::kEnd: return info.next_offset;
    case Position::Kind::kBeforeEnd:
      return info.next_offset > position.value ? info.next_offset - position.value : 0;
    case Position::Kind::kOffset: break;
  }
  return position.value;
}

namespace {
// The exclusive end after `offset`, saturating: a full log's next offset is 2^64 - 1.
uint64_t OnePast(uint64_t offset) { return offset == UINT64_MAX ? UINT64_MAX : offset + 1; }
}  // namespace

uint64_t EndOffsetExclusive(const Position& position, const eventlog::LogInfo& info) {
  switch (position.kind) {
    case Position::Kind::kBeginning: return info.first_offset + 1;
    case Position::Kind::kEnd: return info.next_offset;
    case Position::Kind::kBeforeEnd:
      if (info.next_offset < position.value) return 0;
      return OnePast(info.next_offset - position.value);
    case Position::Kind::kOffset: break;
  }
  return OnePast(position.value);
}

}  // namespace evlog
