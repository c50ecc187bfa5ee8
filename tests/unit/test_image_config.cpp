#include "image/config.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <ctime>
#include <string>

TEST_SUITE_BEGIN("image");

namespace {

// A Docker-built config: Docker-only fields must survive a round-trip.
const std::string docker_config = R"({
  "architecture": "amd64",
  "config": {
    "Hostname": "",
    "User": "app:app",
    "AttachStdin": false,
    "Env": ["PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8", "EMPTY="],
    "Cmd": ["sh"],
    "Entrypoint": null,
    "WorkingDir": "/srv",
    "Labels": {"maintainer": "someone"},
    "ExposedPorts": {"80/tcp": {}, "443/tcp": {}},
    "Volumes": {"/data": {}},
    "StopSignal": "SIGQUIT",
    "Healthcheck": {"Test": ["CMD", "true"], "Interval": 1000000000},
    "ArgsEscaped": true,
    "OnBuild": null
  },
  "container": "0123abc",
  "container_config": {"Cmd": ["/bin/sh", "-c", "#(nop) CMD [\"sh\"]"]},
  "created": "2024-09-26T21:31:42.184144574Z",
  "docker_version": "23.0.11",
  "history": [
    {"created": "2024-09-26T21:31:41Z", "created_by": "/bin/sh -c #(nop) ADD file:abc in / "},
    {"created": "2024-09-26T21:31:42Z", "created_by": "/bin/sh -c #(nop)  CMD [\"sh\"]",
     "empty_layer": true, "comment": "c", "author": "a"}
  ],
  "os": "linux",
  "rootfs": {
    "type": "layers",
    "diff_ids": ["sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"]
  }
})";

void check_rejected(const std::string& bytes, const char* expected) {
  CHECK_THROWS_WITH_AS(image::ImageConfig::from_json(bytes), doctest::Contains(expected),
                       util::Error);
}

} // namespace

TEST_CASE("config: parse a Docker config") {
  auto c = image::ImageConfig::from_json(docker_config);
  CHECK(c.architecture == "amd64");
  CHECK(c.os == "linux");
  CHECK(c.created == "2024-09-26T21:31:42.184144574Z");
  CHECK(c.user == "app:app");
  CHECK(c.env.size() == 3);
  CHECK_FALSE(c.entrypoint.has_value());
  REQUIRE(c.cmd.has_value());
  CHECK(*c.cmd == std::vector<std::string>{"sh"});
  CHECK(c.working_dir == "/srv");
  CHECK(c.labels.at("maintainer") == "someone");
  CHECK(c.exposed_ports == std::vector<std::string>{"443/tcp", "80/tcp"});
  CHECK(c.volumes == std::vector<std::string>{"/data"});
  CHECK(c.stop_signal == "SIGQUIT");
  CHECK(c.healthcheck["Interval"] == 1000000000);
  CHECK(c.on_build.empty());
  REQUIRE(c.diff_ids.size() == 1);
  CHECK(c.diff_ids[0].hex() == std::string(64, 'a'));
  REQUIRE(c.history.size() == 2);
  CHECK_FALSE(c.history[0].empty_layer);
  CHECK(c.history[1].empty_layer);
  CHECK(c.history[1].comment == "c");
  CHECK(c.history[1].author == "a");
  CHECK(c.extra["docker_version"] == "23.0.11");
  CHECK(c.extra["config"]["ArgsEscaped"] == true);
  CHECK_FALSE(c.extra["config"].contains("User"));
}

TEST_CASE("config: env_value") {
  auto c = image::ImageConfig::from_json(docker_config);
  CHECK(c.env_value("LANG") == "C.UTF-8");
  CHECK(c.env_value("EMPTY") == "");
  CHECK_FALSE(c.env_value("LAN"));
  CHECK_FALSE(c.env_value("MISSING"));
  CHECK_FALSE(c.env_value(""));
}

TEST_CASE("config: round-trip keeps known and unknown fields") {
  auto c = image::ImageConfig::from_json(docker_config);
  auto again = image::ImageConfig::from_json(c.to_json());
  CHECK(again.to_json() == c.to_json());
  CHECK(again.env == c.env);
  CHECK(again.cmd == c.cmd);
  CHECK(again.entrypoint == c.entrypoint);
  CHECK(again.labels == c.labels);
  CHECK(again.exposed_ports == c.exposed_ports);
  CHECK(again.diff_ids == c.diff_ids);
  CHECK(again.history.size() == 2);
  CHECK(again.extra == c.extra);
  auto json = nlohmann::json::parse(c.to_json());
  CHECK(json["container_config"]["Cmd"][0] == "/bin/sh");
  CHECK(json["config"]["Hostname"] == "");
  CHECK(json["config"]["ExposedPorts"]["80/tcp"].is_object());
  CHECK(json["rootfs"]["type"] == "layers");
  CHECK_FALSE(json["config"].contains("Entrypoint"));
}

TEST_CASE("config: absent and empty Entrypoint/Cmd stay distinct") {
  auto c = image::ImageConfig::from_json(
      R"({"architecture":"arm64","os":"linux","config":{"Entrypoint":[],"Cmd":"echo hi"}})");
  REQUIRE(c.entrypoint.has_value());
  CHECK(c.entrypoint->empty());
  CHECK(*c.cmd == std::vector<std::string>{"echo hi"}); // a string is a one-element list
  auto again = image::ImageConfig::from_json(c.to_json());
  REQUIRE(again.entrypoint.has_value());
  CHECK(again.entrypoint->empty());
  CHECK(again.cmd == c.cmd);
  auto none = image::ImageConfig::from_json(R"({"architecture":"amd64","os":"linux"})");
  CHECK_FALSE(none.entrypoint);
  CHECK_FALSE(none.cmd);
  CHECK(none.diff_ids.empty());
  CHECK_FALSE(image::ImageConfig::from_json(none.to_json()).cmd);
}

TEST_CASE("config: a built config serializes as OCI") {
  image::ImageConfig c;
  c.architecture = "amd64";
  c.os = "linux";
  c.created = "2026-11-22T14:20:24Z";
  c.env = {"PATH=/bin"};
  c.cmd = std::vector<std::string>{"sh"};
  c.diff_ids = {image::Digest::sha256_of("layer")};
  c.history = {{"2026-11-22T14:20:24Z", "RUN true", "", "", false}};
  auto json = nlohmann::json::parse(c.to_json());
  CHECK(json["config"]["Env"][0] == "PATH=/bin");
  CHECK(json["rootfs"]["diff_ids"][0] == image::Digest::sha256_of("layer").str());
  CHECK(json["history"][0]["created_by"] == "RUN true");
  CHECK_FALSE(json["history"][0].contains("empty_layer"));
  CHECK(image::ImageConfig::from_json(c.to_json()).diff_ids == c.diff_ids);
}

TEST_CASE("config: garbage and bad fields are named") {
  check_rejected("", "parse image config: invalid JSON");
  check_rejected(docker_config.substr(0, 100), "invalid JSON");
  check_rejected("[1]", "expected a JSON object");
  check_rejected(R"({"os": 3})", "os: expected a string");
  check_rejected(R"({"config": []})", "config: expected an object");
  check_rejected(R"({"config": {"Env": [1]}})", "config.Env: expected an array of strings");
  check_rejected(R"({"config": {"Cmd": {"a": 1}}})", "config.Cmd");
  check_rejected(R"({"config": {"Labels": {"a": 1}}})", "config.Labels.a: expected a string");
  check_rejected(R"({"config": {"ExposedPorts": ["80/tcp"]}})", "config.ExposedPorts");
  check_rejected(R"({"rootfs": {"type": "layers", "diff_ids": ["sha256:abc"]}})",
                 "rootfs.diff_ids[0]: invalid digest");
  check_rejected(R"({"rootfs": {"type": "layers", "diff_ids": "x"}})",
                 "rootfs.diff_ids: expected an array");
  check_rejected(R"({"rootfs": {"type": "zfs", "diff_ids": []}})", "rootfs.type");
  check_rejected(R"({"history": [{"empty_layer": "yes"}]})", "history[0].empty_layer");
  check_rejected(R"({"history": [1]})", "history[0]: expected an object");
}

TEST_CASE("config: nulls and a minimal OCI config") {
  auto c = image::ImageConfig::from_json(
      R"({"architecture":"arm","os":"linux","variant":"v7","config":{"Env":null,"Labels":null,
          "Volumes":null,"ExposedPorts":null,"Healthcheck":null},"rootfs":{"type":"layers",
          "diff_ids":[]},"history":null})");
  CHECK(c.variant == "v7");
  CHECK(c.env.empty());
  CHECK(c.labels.empty());
  CHECK(c.volumes.empty());
  CHECK(c.healthcheck.is_null());
  CHECK(c.history.empty());
  CHECK_FALSE(c.extra.contains("config"));
  auto json = nlohmann::json::parse(c.to_json());
  CHECK(json["variant"] == "v7");
  CHECK(json["config"].empty());
  CHECK_FALSE(json.contains("history"));
}

TEST_CASE("rfc3339: parse") {
  CHECK(image::parse_rfc3339("1970-01-01T00:00:00Z") == 0);
  CHECK(image::parse_rfc3339("2024-09-26T21:31:42.184144574Z") == 1727386302);
  CHECK(image::parse_rfc3339("2024-09-26T23:31:42+02:00") == 1727386302);
  CHECK(image::parse_rfc3339("2024-09-26T16:01:42-05:30") == 1727386302);
  CHECK(image::parse_rfc3339("2024-02-29T00:00:00z") == 1709164800);
  CHECK(image::parse_rfc3339("2024-09-26 21:31:42Z") == 1727386302);
  for (const char* bad : {"", "2024", "2024-09-26", "2024-09-26T21:31:42", "2023-02-29T00:00:00Z",
                          "2024-13-01T00:00:00Z", "2024-09-26T24:00:00Z", "2024-09-26T21:31:42.Z",
                          "2024-09-26T21:31:42+0200", "2024-09-26T21:31:42Zjunk",
                          "yyyy-mm-ddThh:mm:ssZ", "2024-09-26T21:31:42+25:00"}) {
    CAPTURE(bad);
    CHECK_FALSE(image::parse_rfc3339(bad));
  }
}

TEST_CASE("rfc3339: now round-trips") {
  std::string now = image::now_rfc3339();
  CHECK(now.size() == 30);
  CHECK(now.back() == 'Z');
  auto parsed = image::parse_rfc3339(now);
  REQUIRE(parsed);
  CHECK(std::abs(*parsed - static_cast<long long>(std::time(nullptr))) <= 2);
}

TEST_SUITE_END();
