#include "cli/image_views.hpp"

#include <doctest/doctest.h>

using Json = nlohmann::ordered_json;

namespace {

const std::string config_hex(64, 'c');
const std::string layer_hex(64, 'a');

storage::ImageRecord busybox_record() {
  storage::ImageRecord record{image::Digest::from_hex("3f57d9401f8d" + std::string(52, '4')),
                              image::Digest::from_hex(std::string(64, 'd')),
                              {"docker.io/library/busybox:latest", "localhost:5000/bb:1.36"},
                              {"docker.io/library/busybox@sha256:" + std::string(64, 'd')},
                              {image::Digest::from_hex(layer_hex)},
                              "2026-11-22T14:00:00Z",
                              "2026-11-22T14:10:00Z",
                              4261550};
  return record;
}

} // namespace

TEST_SUITE_BEGIN("cli");

TEST_CASE("split_repo_tag keeps registry ports") {
  CHECK(cli::split_repo_tag("docker.io/library/busybox:latest") ==
        std::pair<std::string, std::string>{"docker.io/library/busybox", "latest"});
  CHECK(cli::split_repo_tag("localhost:5000/x:1") ==
        std::pair<std::string, std::string>{"localhost:5000/x", "1"});
  CHECK(cli::split_repo_tag("localhost:5000/x").second == "<none>");
}

TEST_CASE("images table: columns, short ids, human sizes and ages") {
  long long created = 1795356000; // 2026-11-22T14:00:00Z
  cli::ImageListOptions options{false, created + 75};
  storage::ImageRecord unnamed = busybox_record();
  unnamed.names.clear();
  unnamed.size = 512;
  unnamed.created = "";
  auto list = cli::image_list({busybox_record(), unnamed}, options);
  CHECK(cli::render_list("", list) ==
        "REPOSITORY                  TAG       IMAGE ID       CREATED              SIZE\n"
        "docker.io/library/busybox   latest    3f57d9401f8d   About a minute ago   4.26MB\n"
        "localhost:5000/bb           1.36      3f57d9401f8d   About a minute ago   4.26MB\n"
        "<none>                      <none>    3f57d9401f8d   N/A                  512B\n");
  CHECK(cli::render_list("{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}} {{.Created}}", list)
            .rfind("docker.io/library/busybox:latest 3f57d9401f8d 4.26MB About a minute ago\n", 0) == 0);
  CHECK(list.rows[0]["CreatedAt"] == "2026-11-22 14:00:00 +0000 UTC");
  options.no_trunc = true;
  list = cli::image_list({busybox_record()}, options);
  CHECK(list.rows[0]["ID"] == "sha256:3f57d9401f8d" + std::string(52, '4'));
  CHECK(cli::image_ids({busybox_record(), busybox_record()}, false) ==
        std::vector<std::string>{"3f57d9401f8d"});
}

TEST_CASE("images --format json is podman's array, one entry per image") {
  auto list = cli::image_list({busybox_record()}, {false, 0});
  REQUIRE(list.json.size() == 1);
  const Json& entry = list.json[0];
  CHECK(entry["Id"] == "3f57d9401f8d" + std::string(52, '4'));
  CHECK(entry["Names"].size() == 2);
  CHECK(entry["Size"] == 4261550);
  CHECK(entry["Created"] == 1795356000);
}

TEST_CASE("image inspect follows Docker's schema") {
  image::ImageConfig config;
  config.architecture = "amd64";
  config.os = "linux";
  config.created = "2026-11-22T14:00:00Z";
  config.env = {"PATH=/bin"};
  config.cmd = std::vector<std::string>{"sh"};
  config.exposed_ports = {"80/tcp"};
  config.diff_ids = {image::Digest::from_hex(layer_hex)};
  config.history = {image::HistoryEntry{"2026-11-22T14:00:00Z", "ADD busybox /", "", "", false}};
  Json doc = cli::image_inspect_json(busybox_record(), config);
  CHECK(doc["Id"] == "sha256:3f57d9401f8d" + std::string(52, '4'));
  CHECK(doc["RepoTags"][1] == "localhost:5000/bb:1.36");
  CHECK(doc["Created"] == "2026-11-22T14:00:00Z");
  CHECK(doc["Config"]["Env"] == Json{"PATH=/bin"});
  CHECK(doc["Config"]["Cmd"] == Json{"sh"});
  CHECK(doc["Config"]["Entrypoint"].is_null());
  CHECK(doc["Config"]["Labels"].is_null());
  CHECK(doc["Config"]["ExposedPorts"].dump() == R"({"80/tcp":{}})");
  CHECK_FALSE(doc.contains("Variant"));
  CHECK(doc["Os"] == "linux");
  CHECK(doc["Size"] == 4261550);
  CHECK(doc["RootFS"].dump() == R"({"Type":"layers","Layers":["sha256:)" + layer_hex + R"("]})");
  CHECK(doc["History"][0]["created_by"] == "ADD busybox /");
  // Key order is Docker's, not alphabetical.
  std::vector<std::string> keys;
  for (const auto& item : doc.items())
    keys.push_back(item.key());
  CHECK(keys.front() == "Id");
  CHECK(keys[2] == "RepoTags");
  CHECK(cli::render_document("{{.Os}}/{{.Architecture}} {{json .Config.Cmd}}", Json::array({doc})) ==
        "linux/amd64 [\"sh\"]\n");
}

TEST_SUITE_END();
