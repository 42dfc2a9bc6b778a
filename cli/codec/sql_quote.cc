#include "codec/sql_quote.h"

namespace evlog {
namespace {

// `text` between two `mark`s, each `mark` inside doubled: SQL's one escape for both kinds.
std::string Quote(std::string_view text, char mark) {
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back(mark);
  for (char c : text) {
    if (c == mark) out.push_back(mark);
    out.push_back(c);
  }
  out.push_back(mark);
  return out;
}

}  // namespace

std::string QuoteIdentifier(std::string_view name) { return Quote(name, '"'); }

std::string QuoteLiteral(std::string_view text) { return Quote(text, '\''); }

}  // namespace evlog
