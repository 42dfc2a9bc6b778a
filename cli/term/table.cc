#include "term/table.h"

#include <fmt/core.h>

#include <algorithm>
#include <string>

#include "codec/json_envelope.h"

namespace evlog {

std::string DisplayText(std::string_view text) {
  std::string shown;
  shown.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0x80) {
      // A whole UTF-8 character is shown as it is, except the C1 controls (U+0080..U+009F,
      // which some terminals obey); a byte that starts no valid sequence is escaped.
      const size_t n =
          Utf8SequenceLength(reinterpret_cast<const unsigned char*>(text.data()) + i, text.size() - i);
      const bool c1_control = n == 2 && byte == 0xC2 && static_cast<unsigned char>(text[i + 1]) < 0xA0;
      if (n == 0 || c1_control) {
        for (size_t k = 0; k < std::max<size_t>(n, 1); ++k) {
          shown += fmt::format("\\x{:02x}", static_cast<unsigned char>(text[i + k]));
        }
        i += std::max<size_t>(n, 1);
      } else {
        shown.append(text.substr(i, n));
        i += n;
      }
      continue;
    }
    if (byte < 0x20 || byte == 0x7f) {
      shown += fmt::format("\\x{:02x}", byte);
    } else if (byte == '\\') {
      shown += "\\\\";
    } else {
      shown += static_cast<char>(byte);
    }
    ++i;
  }
  return shown;
}

void AppendTable(const std::vector<TableRow>& raw_rows, OutputBuffer& out) {
  if (raw_rows.size() < 2) return;
  std::vector<TableRow> rows;
  for (const TableRow& raw : raw_rows) {
    TableRow& row = rows.emplace_back();
    for (const std::string& cell : raw) row.push_back(DisplayText(cell));
  }
  std::vector<size_t> widths(rows[0].size(), 0);
  for (const TableRow& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const TableRow& row : rows) {
    std::string line;
    for (size_t i = 0; i + 1 < row.size(); ++i) line += fmt::format("{:<{}}  ", row[i], widths[i]);
    line += row.back();
    line.erase(line.find_last_not_of(' ') + 1);  // an empty last cell leaves padding behind
    out.Append(line);
    out.Append('\n');
  }
}

}  // namespace evlog
