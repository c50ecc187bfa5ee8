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

std::string yaml_scalar(const nlohmann::ordered_json& value) {
  if (value.is_null())
    return "null";
  if (!value.is_string())
    return value.dump();
  const std::string text = value.get<std::string>();
  bool plain = !text.empty() && text.find_first_of(":#{}[],&*?|<>=!%@`\"'\n") == std::string::npos &&
               text.front() != ' ' && text.back() != ' ' && text.front() != '-';
  return plain ? text : nlohmann::ordered_json(text).dump();
}

void yaml_lines(const nlohmann::ordered_json& value, const std::string& indent, std::string& out) {
  for (const auto& item : value.items()) {
    const auto& child = item.value();
    std::string prefix = value.is_array() ? indent + "- " : indent + item.key() + ":";
    if (child.is_object() && !child.empty()) {
      if (value.is_array()) {
        // "- key: v" then the other keys aligned under the first.
        std::string nested;
        yaml_lines(child, indent + "  ", nested);
        out += indent + "- " + nested.substr(indent.size() + 2);
      } else {
        out += prefix + "\n";
        yaml_lines(child, indent + "  ", out);
      }
    } else if (child.is_array() && !child.empty()) {
      out += prefix + "\n";
      yaml_lines(child, indent + "  ", out);
    } else if (child.is_array() || child.is_object()) {
      out += prefix + (value.is_array() ? "" : " ") + (child.is_array() ? "[]" : "{}") + "\n";
    } else {
      out += prefix + (value.is_array() ? "" : " ") + yaml_scalar(child) + "\n";
    }
  }
}

} // namespace

std::string render_yaml(const nlohmann::ordered_json& value) {
  std::string out;
  yaml_lines(value, "", out);
  return out;
}

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
