#include "cli/container_views.hpp"

#include <doctest/doctest.h>

using Json = nlohmann::ordered_json;

namespace {

cli::ContainerView sample(runtime::Status status) {
  storage::ContainerRecord record{std::string(12, 'a') + std::string(52, 'b'),
                                  "web",
                                  "127.0.0.1:5000/busybox:latest",
                                  image::Digest::from_hex(std::string(64, 'c')),
                                  "2026-11-22T10:00:00Z",
                                  "overlay",
                                  {},
                                  {},
                                  false};
  record.spec = {{"args", {"sleep", "1000"}},
                 {"env", {"PATH=/bin"}},
                 {"cwd", "/"},
                 {"user", ""},
                 {"hostname", "aaaaaaaaaaaa"},
                 {"network", "host"},
                 {"mounts", nlohmann::json::array()},
                 {"tty", false},
                 {"stdin_open", false},
                 {"read_only", false},
                 {"config", {{"entrypoint", nullptr}, {"cmd", {"sleep", "1000"}}, {"labels", {{"a", "b"}}}}}};
  runtime::ContainerState state;
  state.status = status;
  state.process = {4321, 1};
  state.started_at = "2026-11-22T10:00:00Z";
  state.finished_at = "2026-11-22T10:01:00Z";
  state.exit_code = 3;
  return {record, state};
}

constexpr long long ten_am = 1795341600; // 2026-11-22T10:00:00Z

} // namespace

TEST_SUITE_BEGIN("cli");

TEST_CASE("ps_command quotes and truncates like Docker") {
  CHECK(cli::ps_command({"sleep", "1000"}, false) == "\"sleep 1000\"");
  CHECK(cli::ps_command({"sh", "-c", "echo a long command line"}, false) ==
        "\"sh -c echo a long c…\"");
  CHECK(cli::ps_command({"sh", "-c", "echo a long command line"}, true) ==
        "\"sh -c echo a long command line\"");
  CHECK(cli::ps_command({"echo", "\"q\""}, false) == "\"echo \\\"q\\\"\"");
}

TEST_CASE("ps rows carry Docker's columns and statuses") {
  cli::ListOutput list = cli::container_list({sample(runtime::Status::running),
                                              sample(runtime::Status::exited)},
                                             {false, ten_am + 180});
  REQUIRE(list.rows.size() == 2);
  const Json& up = list.rows[0];
  CHECK(up["ID"] == "aaaaaaaaaaaa");
  CHECK(up["Image"] == "127.0.0.1:5000/busybox:latest");
  CHECK(up["Command"] == "\"sleep 1000\"");
  CHECK(up["RunningFor"] == "3 minutes ago");
  CHECK(up["Status"] == "Up 3 minutes");
  CHECK(up["State"] == "running");
  CHECK(up["Names"] == "web");
  CHECK(up["Labels"] == "a=b");
  CHECK(list.rows[1]["Status"] == "Exited (3) 2 minutes ago");
  CHECK(list.json[0]["Names"] == Json::array({"web"}));
  CHECK(list.json[0]["Pid"] == 4321);
  CHECK(list.json[1]["Pid"] == 0);
  CHECK(list.json[1]["ExitCode"] == 3);
  std::string table = cli::render_list("", list);
  CHECK(table.rfind("CONTAINER ID   IMAGE", 0) == 0);
  CHECK(table.find("STATUS") != std::string::npos);
  CHECK(cli::render_list("{{.Names}} {{.State}}", list) == "web running\nweb exited\n");
}

TEST_CASE("ps shows published ports in the table, templates and JSON") {
  cli::ContainerView view = sample(runtime::Status::running);
  view.ports = {{"127.0.0.1", 8080, 80, net::Protocol::tcp}, {"0.0.0.0", 9000, 90, net::Protocol::udp}};
  cli::ListOutput list = cli::container_list({view, sample(runtime::Status::exited)}, {false, ten_am});
  CHECK(list.rows[0]["Ports"] == "127.0.0.1:8080->80/tcp, 0.0.0.0:9000->90/udp");
  CHECK(list.rows[1]["Ports"] == "");
  CHECK(list.json[0]["Ports"] ==
        Json::parse(R"([{"host_ip":"127.0.0.1","container_port":80,"host_port":8080,"range":1,
                        "protocol":"tcp"},{"host_ip":"0.0.0.0","container_port":90,
                        "host_port":9000,"range":1,"protocol":"udp"}])"));
  CHECK(list.json[1]["Ports"].is_null());
  CHECK(cli::render_list("{{.Ports}}", list) == "127.0.0.1:8080->80/tcp, 0.0.0.0:9000->90/udp\n\n");
}

TEST_CASE("--no-trunc keeps the full id") {
  cli::ListOutput list = cli::container_list({sample(runtime::Status::created)}, {true, ten_am});
  CHECK(list.rows[0]["ID"].get<std::string>().size() == 64);
  CHECK(list.rows[0]["Status"] == "Created");
}

TEST_CASE("inspect follows Docker's schema") {
  Json doc = cli::container_inspect_json(sample(runtime::Status::running), "/x/ctr.log");
  CHECK(doc["Id"].get<std::string>().size() == 64);
  CHECK(doc["Name"] == "/web");
  CHECK(doc["Path"] == "sleep");
  CHECK(doc["Args"] == Json::array({"1000"}));
  CHECK(doc["State"]["Status"] == "running");
  CHECK(doc["State"]["Running"] == true);
  CHECK(doc["State"]["Pid"] == 4321);
  CHECK(doc["State"]["ExitCode"] == 0);
  CHECK(doc["State"]["OOMKilled"] == false);
  CHECK(doc["Image"] == "sha256:" + std::string(64, 'c'));
  CHECK(doc["Config"]["Cmd"] == Json::array({"sleep", "1000"}));
  CHECK(doc["Config"]["Entrypoint"].is_null());
  CHECK(doc["Config"]["Env"] == Json::array({"PATH=/bin"}));
  CHECK(doc["Config"]["Labels"]["a"] == "b");
  CHECK(doc["Config"]["Image"] == "127.0.0.1:5000/busybox:latest");
  CHECK(doc["HostConfig"]["NetworkMode"] == "host");
  CHECK(doc["Mounts"].is_array());
  CHECK(doc["LogPath"] == "/x/ctr.log");
  Json exited = cli::container_inspect_json(sample(runtime::Status::exited), "");
  CHECK(exited["State"]["Running"] == false);
  CHECK(exited["State"]["Pid"] == 0);
  CHECK(exited["State"]["ExitCode"] == 3);
}

TEST_SUITE_END();
