#include "term/table.h"

#include <fmt/core.h>

#include <algorithm>
#include <string>

namespace evlog {

void AppendTable(const std::vector<TableRow>& rows, OutputBuffer& out) {
  if (rows.size() < 2) return;
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
