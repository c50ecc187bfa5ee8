#include "cli/output.hpp"

#include "cli/go_template.hpp"
#include "util/strings.hpp"

#include <algorithm>

namespace cli {

namespace {

constexpr size_t min_width = 10;
constexpr size_t padding = 3;

bool is_table(std::string_view format) {
  return format == "table" || format.rfind("table ", 0) == 0;
}

} // namespace

std::string align_columns(std::string_view text) {
  std::vector<std::vector<std::string>> lines;
  for (const std::string& line : util::split(text, '\n'))
    lines.push_back(util::split(line, '\t'));
  if (!lines.empty() && lines.back() == std::vector<std::string>{""})
    lines.pop_back(); // text ended with a newline
  std::vector<size_t> widths;
  for (const auto& cells : lines) {
    for (size_t i = 0; i + 1 < cells.size(); ++i) {
      if (widths.size() <= i)
        widths.resize(i + 1, min_width);
      widths[i] = std::max(widths[i], cells[i].size() + padding);
    }
  }
  std::string out;
  for (const auto& cells : lines) {
    for (size_t i = 0; i < cells.size(); ++i) {
      out += cells[i];
      if (i + 1 < cells.size())
        out.append(widths[i] - cells[i].size(), ' ');
    }
    out += '\n';
  }
  return out;
}

std::string render_list(std::string_view format, const ListOutput& list) {
  std::string_view effective = util::trim(format.empty() ? list.default_format : format);
  if (effective == "json")
    return list.json.dump(4) + "\n";
  bool table = is_table(effective);
  if (table) {
    effective.remove_prefix(5);
    effective = util::trim(effective);
    if (effective.empty()) // bare "table": the default columns
      effective = util::trim(std::string_view(list.default_format).substr(5));
  }
  GoTemplate tmpl = GoTemplate::parse(effective);
  std::string text;
  if (table)
    text += tmpl.render(list.headers) + "\n";
  for (const auto& row : list.rows)
    text += tmpl.render(row) + "\n";
  return table ? align_columns(text) : text;
}

std::string render_document(std::string_view format, const nlohmann::ordered_json& value) {
  std::string_view effective = util::trim(format);
  if (effective.empty() || effective == "json")
    return value.dump(4) + "\n";
  GoTemplate tmpl = GoTemplate::parse(effective);
  if (!value.is_array())
    return tmpl.render(value) + "\n";
  std::string text;
  for (const auto& item : value)
    text += tmpl.render(item) + "\n";
  return text;
}

} // namespace cli
