#include "cli/top_table.hpp"

#include "util/error.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <charconv>

namespace cli {

namespace {

std::vector<std::string> fields_of(std::string_view line) {
  std::vector<std::string> fields;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t'))
      ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t')
      ++i;
    if (i > start)
      fields.emplace_back(line.substr(start, i - start));
  }
  return fields;
}

// The row as Docker keeps it: as many cells as titles, the last one the rest joined by spaces.
std::vector<std::string> row_of(std::vector<std::string> fields, size_t columns) {
  if (fields.size() <= columns)
    return fields;
  std::string rest;
  for (size_t i = columns - 1; i < fields.size(); ++i)
    rest += (i == columns - 1 ? "" : " ") + fields[i];
  fields.resize(columns - 1);
  fields.push_back(std::move(rest));
  return fields;
}

} // namespace

ProcessTable filter_ps_output(std::string_view output, const std::vector<pid_t>& pids) {
  std::vector<std::string> lines = util::split(output, '\n');
  ProcessTable table;
  if (lines.empty())
    throw util::Error("ps printed nothing");
  table.titles = fields_of(lines[0]);
  auto pid_column = std::find(table.titles.begin(), table.titles.end(), "PID");
  if (pid_column == table.titles.end())
    throw util::Error("couldn't find PID field in ps output");
  size_t pid_index = static_cast<size_t>(pid_column - table.titles.begin());
  bool after_kept = false; // thread rows ("-" as PID) belong to the process row above them
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string> fields = fields_of(lines[i]);
    if (fields.size() <= pid_index)
      continue;
    const std::string& cell = fields[pid_index];
    if (cell == "-") {
      if (after_kept)
        table.rows.push_back(row_of(std::move(fields), table.titles.size()));
      continue;
    }
    pid_t pid = 0;
    auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), pid);
    if (ec != std::errc() || end != cell.data() + cell.size())
      throw util::Error(util::cat("unexpected pid ", util::quote(cell), " in ps output"));
    after_kept = std::find(pids.begin(), pids.end(), pid) != pids.end();
    if (after_kept)
      table.rows.push_back(row_of(std::move(fields), table.titles.size()));
  }
  return table;
}

std::string format_process_table(const ProcessTable& table) {
  constexpr size_t min_width = 20, padding = 3;
  std::vector<size_t> widths(table.titles.size(), 0);
  auto measure = [&widths](const std::vector<std::string>& cells) {
    for (size_t i = 0; i + 1 < cells.size() && i < widths.size(); ++i)
      widths[i] = std::max(widths[i], cells[i].size());
  };
  measure(table.titles);
  for (const auto& row : table.rows)
    measure(row);
  std::string out;
  auto print = [&](const std::vector<std::string>& cells) {
    for (size_t i = 0; i < cells.size(); ++i) {
      out += cells[i];
      if (i + 1 < cells.size())
        out.append(std::max(min_width, widths[i] + padding) - cells[i].size(), ' ');
    }
    out += '\n';
  };
  print(table.titles);
  for (const auto& row : table.rows)
    print(row);
  return out;
}

} // namespace cli
