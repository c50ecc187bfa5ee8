#include "runtime/spec.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>

#include <map>
#include <string>

TEST_SUITE_BEGIN("runtime");

namespace {

using Strings = std::vector<std::string>;
const std::string id = "0123456789abcdef0123456789abcdef";
const std::string default_path =
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

image::ImageConfig config_with(std::optional<Strings> entrypoint, std::optional<Strings> cmd) {
  image::ImageConfig config;
  config.entrypoint = std::move(entrypoint);
  config.cmd = std::move(cmd);
  return config;
}

runtime::EnvLookup fake_env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& key) -> std::optional<std::string> {
    auto it = vars.find(key);
    if (it == vars.end())
      return std::nullopt;
    return it->second;
  };
}

runtime::ContainerSpec spec_for(const image::ImageConfig& config, const runtime::RunRequest& req,
                                const Strings& env_files = {}) {
  return runtime::make_spec(config, req, id, env_files, fake_env({{"FROM_HOST", "h"}}));
}

Strings args_for(std::optional<Strings> ep, std::optional<Strings> cmd, Strings command,
                 std::optional<std::string> entrypoint_flag = std::nullopt) {
  runtime::RunRequest req;
  req.command = std::move(command);
  req.entrypoint = std::move(entrypoint_flag);
  return spec_for(config_with(std::move(ep), std::move(cmd)), req).args;
}

} // namespace

TEST_CASE("spec: entrypoint and cmd follow Docker's rules") {
  CHECK(args_for(std::nullopt, Strings{"sh"}, {}) == Strings{"sh"});
  CHECK(args_for(std::nullopt, Strings{"sh"}, {"echo", "hi"}) == Strings{"echo", "hi"});
  CHECK(args_for(Strings{"/init", "-v"}, Strings{"run"}, {}) == Strings{"/init", "-v", "run"});
  CHECK(args_for(Strings{"/init"}, Strings{"run"}, {"x"}) == Strings{"/init", "x"});
  CHECK(args_for(Strings{"/init"}, std::nullopt, {}) == Strings{"/init"});
  // --entrypoint replaces the image's and drops the image Cmd.
  CHECK(args_for(Strings{"/init"}, Strings{"run"}, {}, "top") == Strings{"top"});
  CHECK(args_for(Strings{"/init"}, Strings{"run"}, {"-b"}, "top") == Strings{"top", "-b"});
  // A single string, not split on spaces.
  CHECK(args_for(std::nullopt, std::nullopt, {}, "ls -l") == Strings{"ls -l"});
  // "" clears the image entrypoint.
  CHECK(args_for(Strings{"/init"}, Strings{"run"}, {"echo"}, "") == Strings{"echo"});
  CHECK(args_for(Strings{}, Strings{"sh"}, {}) == Strings{"sh"});
}

TEST_CASE("spec: no command is an error") {
  CHECK_THROWS_WITH_AS(args_for(std::nullopt, std::nullopt, {}),
                       doctest::Contains("no command specified"), util::Error);
  CHECK_THROWS_WITH_AS(args_for(Strings{}, Strings{}, {}),
                       doctest::Contains("no command specified"), util::Error);
  CHECK_THROWS_WITH_AS(args_for(Strings{"/init"}, Strings{"run"}, {}, ""),
                       doctest::Contains("no command specified"), util::Error);
}

TEST_CASE("spec: environment order and overrides") {
  image::ImageConfig config = config_with(std::nullopt, Strings{"sh"});
  config.env = {"A=image", "B=image"};
  runtime::RunRequest req;
  req.tty = true;
  req.env = {"B=flag", "C", "FROM_HOST", "UNSET_ON_HOST", "D="};
  auto spec = spec_for(config, req, {"# comment\n\n  A=file\nE=file with spaces \nC=file\r\n"});
  CHECK(spec.env == Strings{default_path, "A=file", "B=flag", "HOSTNAME=0123456789ab", "TERM=xterm",
                            "E=file with spaces ", "C=file", "FROM_HOST=h", "D="});
}

TEST_CASE("spec: the image PATH wins over the default") {
  image::ImageConfig config = config_with(std::nullopt, Strings{"sh"});
  config.env = {"PATH=/opt/bin"};
  auto spec = spec_for(config, {});
  CHECK(spec.env == Strings{"PATH=/opt/bin", "HOSTNAME=0123456789ab"});
  runtime::RunRequest req;
  req.env = {"PATH=/x"};
  CHECK(spec_for(config, req).env.front() == "PATH=/x");
}

TEST_CASE("spec: bad environment entries") {
  auto config = config_with(std::nullopt, Strings{"sh"});
  runtime::RunRequest req;
  req.env = {"=v"};
  CHECK_THROWS_WITH_AS(spec_for(config, req), doctest::Contains("no variable name"), util::Error);
  req.env = {"A B=c"};
  CHECK_THROWS_WITH_AS(spec_for(config, req), doctest::Contains("whitespace"), util::Error);
  CHECK_THROWS_WITH_AS(spec_for(config, {}, {"OK=1\n", "X=1\n=bad\n"}),
                       doctest::Contains("env file 2 line 2"), util::Error);
}

TEST_CASE("spec: env files with a byte order mark, CRLF and no final newline") {
  auto spec = spec_for(config_with(std::nullopt, Strings{"sh"}), {},
                       {"\xEF\xBB\xBF"
                        "A=1\r\nB=2",
                        "\n\n", ""});
  CHECK(spec.env == Strings{default_path, "HOSTNAME=0123456789ab", "A=1", "B=2"});
}

TEST_CASE("spec: working directory, user, hostname, network") {
  image::ImageConfig config = config_with(std::nullopt, Strings{"sh"});
  config.working_dir = "/srv/app/";
  config.user = "nobody";
  auto spec = spec_for(config, {});
  CHECK(spec.cwd == "/srv/app");
  CHECK(spec.user == "nobody");
  CHECK(spec.hostname == "0123456789ab");
  CHECK(spec.network == "host");
  CHECK(spec_for(config_with(std::nullopt, Strings{"sh"}), {}).cwd == "/");

  runtime::RunRequest req;
  req.workdir = "/tmp/../work";
  req.user = "1000:1000";
  req.hostname = "box.example";
  req.network = "none";
  req.interactive = true;
  req.read_only = true;
  spec = spec_for(config, req);
  CHECK(spec.cwd == "/work");
  CHECK(spec.user == "1000:1000");
  CHECK(spec.hostname == "box.example");
  CHECK(spec.network == "none");
  CHECK(spec.stdin_open);
  CHECK_FALSE(spec.tty);
  CHECK(spec.read_only);
  CHECK(std::find(spec.env.begin(), spec.env.end(), "HOSTNAME=box.example") != spec.env.end());

  req.workdir = "relative";
  CHECK_THROWS_WITH_AS(spec_for(config, req), doctest::Contains("absolute"), util::Error);
  req.workdir = "";
  req.network = "bridge";
  CHECK_THROWS_WITH_AS(spec_for(config, req), doctest::Contains("unsupported network mode"),
                       util::Error);
  req.network = "";
  req.hostname = std::string(65, 'h');
  CHECK_THROWS_WITH_AS(spec_for(config, req), doctest::Contains("invalid hostname"), util::Error);
  req.hostname = "a b";
  CHECK_THROWS_AS(spec_for(config, req), util::Error);
}

TEST_CASE("spec: volumes in the spec, duplicates rejected") {
  runtime::RunRequest req;
  req.mounts = {{"/a", "/x", false}, {"/b", "/y", true}};
  auto spec = spec_for(config_with(std::nullopt, Strings{"sh"}), req);
  REQUIRE(spec.mounts.size() == 2);
  CHECK(spec.mounts[1].read_only);
  req.mounts = {{"/a", "/x", false}, {"/b", "/x", false}};
  CHECK_THROWS_WITH_AS(spec_for(config_with(std::nullopt, Strings{"sh"}), req),
                       doctest::Contains("duplicate mount point"), util::Error);
}

TEST_CASE("spec: JSON round-trip") {
  image::ImageConfig config = config_with(Strings{"/init"}, Strings{"a", "b"});
  runtime::RunRequest req;
  req.mounts = {{"/a", "/x", true}};
  req.mounts.push_back({"vol", "/v", false, runtime::MountType::volume, "", "/s/vol/_data"});
  req.mounts.push_back({"", "/t", false, runtime::MountType::tmpfs, "size=1m"});
  req.tty = true;
  req.user = "app";
  auto spec = spec_for(config, req);
  auto again = runtime::ContainerSpec::from_json(nlohmann::json::parse(spec.to_json().dump()));
  CHECK(again.args == spec.args);
  CHECK(again.env == spec.env);
  CHECK(again.cwd == spec.cwd);
  CHECK(again.user == spec.user);
  CHECK(again.hostname == spec.hostname);
  CHECK(again.network == spec.network);
  CHECK(again.mounts == spec.mounts);
  CHECK(again.tty);
  CHECK_FALSE(again.stdin_open);
  CHECK_THROWS_WITH_AS(runtime::ContainerSpec::from_json(nlohmann::json::object()),
                       doctest::Contains("parse container spec"), util::Error);
  auto broken = spec.to_json();
  broken["args"] = 5;
  CHECK_THROWS_AS(runtime::ContainerSpec::from_json(broken), util::Error);
}

TEST_SUITE_END();
