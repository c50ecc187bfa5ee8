// Output formatting shared by the listing and inspecting commands: Docker-style aligned tables,
// --format json, and Go templates.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace cli {

// Aligns tab-separated cells the way Docker's tabwriter does (minimum width 10, padding 3): each
// cell that a tab ends is padded to its column's width; a line's last cell is left as is.
std::string align_columns(std::string_view text);

// A list command's output (images, ps).
struct ListOutput {
  std::string default_format;  // "table {{.Repository}}\t{{.Tag}}..."
  nlohmann::ordered_json headers; // field -> column header ("ID" -> "IMAGE ID")
  nlohmann::ordered_json rows;    // one object per row, fields as in the templates
  nlohmann::ordered_json json;    // what --format json prints (an array)
};

// Renders `format`: "" (the default table), "json", "table TEMPLATE" (header, rows, aligned) or a
// TEMPLATE applied to each row, one line per row. Throws util::Error for template errors.
std::string render_list(std::string_view format, const ListOutput& list);

// Renders one document (version, info) or an array of them (inspect): "json" or "" prints
// `value` indented by 4 like Docker; a template is applied to `value`, or to each element of an
// array, one line each.
std::string render_document(std::string_view format, const nlohmann::ordered_json& value);

// Renders a document as simple YAML, the way podman prints `info` by default.
std::string render_yaml(const nlohmann::ordered_json& value);

} // namespace cli
