#include "term/table.h"

#include <fmt/core.h>

#include <algorithm>
#include <string>

namespace evlog {

std::string DisplayText(std::string_view text) {
  std::string shown;
  shown.reserve(text.size());
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      shown += fmt::format("\\x{:02x}", byte);
    } else if (c == '\\') {
      shown += "\\\\";
    } else {
      shown += c;
    }
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
