// A subset of Go's text/template, enough for the --format strings people pass to Docker and
// podman: {{.Field.Sub}}, {{.}}, functions json/index/join/upper/lower/len/title, pipes
// ({{.Names | join ","}}), {{if}}/{{else}}/{{end}}, {{range}}/{{end}}, and {{- -}} trimming.
// Data is JSON: objects are Go structs/maps, arrays are slices.
#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cli {

class GoTemplate {
public:
  // Parses `text`; the two-character sequences \t and \n become a tab and a newline, as Docker
  // does for --format. Throws util::Error("template: ...") for syntax errors.
  static GoTemplate parse(std::string_view text);

  // Renders against `data`. Throws util::Error("template: ...") for evaluation errors (unknown
  // function, index out of range, wrong argument types).
  std::string render(const nlohmann::ordered_json& data) const;

  // A parsed piece of the template (text, value, if or range), defined in go_template.cpp.
  struct Node;

private:
  std::shared_ptr<const std::vector<Node>> m_nodes;
};

// How a value prints in a template: strings raw, arrays "[a b]", objects "map[k:v]", null as
// Go's "<no value>".
std::string template_print(const nlohmann::ordered_json& value);

} // namespace cli
