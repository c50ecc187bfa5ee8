#include "cli/go_template.hpp"
#include "cli/output.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>

using cli::GoTemplate;
using Json = nlohmann::ordered_json;

namespace {

std::string render(std::string_view text, const Json& data) {
  return GoTemplate::parse(text).render(data);
}

const Json image = Json::parse(R"({
  "Repository": "docker.io/library/busybox", "Tag": "latest", "ID": "3f57d9401f8d",
  "Size": "4.26MB", "Created": "2 weeks ago", "Names": ["a", "b"],
  "Config": {"Env": ["PATH=/bin", "X=1"], "Labels": {"z": "1", "a": "2"}, "Cmd": null},
  "Count": 3, "Empty": [], "Ok": true
})");

} // namespace

TEST_SUITE_BEGIN("cli");

TEST_CASE("template: fields and literal text") {
  CHECK(render("{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}} {{.Created}}", image) ==
        "docker.io/library/busybox:latest 3f57d9401f8d 4.26MB 2 weeks ago");
  CHECK(render("{{ .Config.Env }}", image) == "[PATH=/bin X=1]");
  CHECK(render("{{.Config.Labels}}", image) == "map[a:2 z:1]");
  CHECK(render("{{.Count}} {{.Ok}}", image) == "3 true");
  CHECK(render("{{.Missing}}|{{.Config.Cmd}}", image) == "<no value>|<no value>");
  CHECK(render("a\\tb\\n", image) == "a\tb\n");
  CHECK(render("{{.}}", Json("x")) == "x");
}

TEST_CASE("template: functions and pipes") {
  CHECK(render("{{json .Names}}", image) == R"(["a","b"])");
  CHECK(render("{{json .Config.Labels}}", image) == R"({"z":"1","a":"2"})");
  CHECK(render("{{index .Config.Labels \"z\"}}", image) == "1");
  CHECK(render("{{index .Names 1}}", image) == "b");
  CHECK(render("{{join .Names \",\"}}", image) == "a,b");
  CHECK(render("{{.Tag | upper}}", image) == "LATEST");
  CHECK(render("{{upper .Tag}} {{len .Names}} {{.Tag | title}}", image) == "LATEST 2 Latest");
}

TEST_CASE("template: if, else, range and trimming") {
  CHECK(render("{{if .Ok}}yes{{else}}no{{end}}", image) == "yes");
  CHECK(render("{{if .Empty}}yes{{else}}no{{end}}", image) == "no");
  CHECK(render("{{range .Names}}<{{.}}>{{end}}", image) == "<a><b>");
  CHECK(render("{{range .Empty}}x{{else}}none{{end}}", image) == "none");
  CHECK(render("{{range .Config.Labels}}{{.}}{{end}}", image) == "21");
  CHECK(render("a  {{- .Tag -}}  b", image) == "alatestb");
}

TEST_CASE("template: errors name the problem") {
  CHECK_THROWS_WITH_AS(GoTemplate::parse("{{.Tag"), doctest::Contains("unclosed action"), util::Error);
  CHECK_THROWS_WITH_AS(GoTemplate::parse("{{if .Ok}}x"), doctest::Contains("missing {{end}}"),
                       util::Error);
  CHECK_THROWS_WITH_AS(GoTemplate::parse("{{end}}"), doctest::Contains("unexpected {{end}}"),
                       util::Error);
  CHECK_THROWS_WITH_AS(render("{{nosuch .Tag}}", image), doctest::Contains("\"nosuch\" not defined"),
                       util::Error);
  CHECK_THROWS_WITH_AS(render("{{.Tag.X}}", image), doctest::Contains("can't evaluate field X"),
                       util::Error);
  CHECK_THROWS_AS(render("{{index .Names 5}}", image), util::Error);
}

TEST_CASE("align_columns pads like Docker's tabwriter") {
  CHECK(cli::align_columns("REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE\nbusybox\tlatest\t"
                           "a416a98b71e2\t4 weeks ago\t4.26MB\n") ==
        "REPOSITORY   TAG       IMAGE ID       CREATED       SIZE\n"
        "busybox      latest    a416a98b71e2   4 weeks ago   4.26MB\n");
}

TEST_CASE("render_list: default table, custom table, plain template and json") {
  cli::ListOutput list;
  list.default_format = "table {{.Name}}\\t{{.Size}}";
  list.headers = Json{{"Name", "NAME"}, {"Size", "SIZE"}};
  list.rows = Json::array({Json{{"Name", "a"}, {"Size", "1B"}}, Json{{"Name", "bb"}, {"Size", "2B"}}});
  list.json = Json::array({Json{{"Name", "a"}}});
  CHECK(cli::render_list("", list) == "NAME      SIZE\na         1B\nbb        2B\n");
  CHECK(cli::render_list("table {{.Size}}\\t{{.Name}}", list) ==
        "SIZE      NAME\n1B        a\n2B        bb\n");
  CHECK(cli::render_list("{{.Name}}={{.Size}}", list) == "a=1B\nbb=2B\n");
  CHECK(cli::render_list("json", list) == "[\n    {\n        \"Name\": \"a\"\n    }\n]\n");
  CHECK(cli::render_document("{{.Name}}", list.rows) == "a\nbb\n");
}

TEST_CASE("render_yaml prints nested documents like podman info") {
  Json doc = Json::parse(R"({"host": {"os": "linux", "rootless": true, "maps": [{"id": 0, "size": 1}],
                             "helpers": [], "kernel": "6.1: x"}, "n": null})");
  CHECK(cli::render_yaml(doc) == "host:\n"
                                 "  os: linux\n"
                                 "  rootless: true\n"
                                 "  maps:\n"
                                 "    - id: 0\n"
                                 "      size: 1\n"
                                 "  helpers: []\n"
                                 "  kernel: \"6.1: x\"\n"
                                 "n: null\n");
}

TEST_SUITE_END();

TEST_CASE("template: parenthesized pipelines, with fields after them") {
  Json doc = Json::parse(R"({"NetworkSettings": {"Ports": {"80/tcp": [
      {"HostIp": "0.0.0.0", "HostPort": "8080"}, {"HostIp": "::", "HostPort": "8080"}]}}})");
  CHECK(render(R"({{(index (index .NetworkSettings.Ports "80/tcp") 0).HostPort}})", doc) == "8080");
  CHECK(render(R"({{ (index .NetworkSettings.Ports "80/tcp" | len) }})", doc) == "2");
  CHECK(render(R"({{len (index .NetworkSettings.Ports "80/tcp")}})", doc) == "2");
  CHECK(render(R"({{(index .NetworkSettings.Ports "80/tcp") | json}})", doc) ==
        R"([{"HostIp":"0.0.0.0","HostPort":"8080"},{"HostIp":"::","HostPort":"8080"}])");
  CHECK_THROWS_AS(render("{{(index .A 0}}", doc), util::Error);
  CHECK_THROWS_AS(render("{{(index .A 0)x}}", doc), util::Error);
}
