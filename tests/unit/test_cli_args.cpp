#include "cli/run_args.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>

using cli::parse_run_args;
using Words = std::vector<std::string>;

TEST_SUITE_BEGIN("cli");

TEST_CASE("run: options before IMAGE, the container's argv after it") {
  auto flags = parse_run_args({"-e", "A=1", "alpine", "ls"});
  CHECK(flags.env == Words{"A=1"});
  CHECK(flags.image_and_command == Words{"alpine", "ls"});
}

TEST_CASE("run: cove flags after IMAGE belong to the command") {
  auto flags = parse_run_args({"img", "ls", "-la", "--rm"});
  CHECK(flags.image_and_command == Words{"img", "ls", "-la", "--rm"});
  CHECK_FALSE(flags.rm);
  SUBCASE("also -e and -- after IMAGE") {
    flags = parse_run_args({"--rm", "img", "env", "-e", "X", "--", "y"});
    CHECK(flags.rm);
    CHECK(flags.env.empty());
    CHECK(flags.image_and_command == Words{"img", "env", "-e", "X", "--", "y"});
  }
  SUBCASE("an explicit -- before IMAGE") {
    flags = parse_run_args({"--rm", "--", "-img", "x"});
    CHECK(flags.image_and_command == Words{"-img", "x"});
  }
}

TEST_CASE("run: repeated list options take one value each") {
  auto flags = parse_run_args({"-e", "A=1", "-e", "B", "--env=C=3", "-eD=4", "-v", "/a:/a", "--volume",
                               "/b:/b:ro", "alpine", "sh", "-c", "x"});
  CHECK(flags.env == Words{"A=1", "B", "C=3", "D=4"});
  CHECK(flags.volumes == Words{"/a:/a", "/b:/b:ro"});
  CHECK(flags.image_and_command == Words{"alpine", "sh", "-c", "x"});
}

TEST_CASE("run: short flags combine") {
  auto flags = parse_run_args({"-it", "--rm", "alpine"});
  CHECK(flags.interactive);
  CHECK(flags.tty);
  CHECK(flags.rm);
  flags = parse_run_args({"-ite", "A=1", "alpine"});
  CHECK(flags.env == Words{"A=1"});
  CHECK(flags.tty);
}

TEST_CASE("run: --pull with and without a value") {
  CHECK(parse_run_args({"alpine"}).pull == "missing");
  CHECK(parse_run_args({"--pull", "alpine"}).pull == "always");
  CHECK(parse_run_args({"--pull", "--rm", "alpine"}).pull == "always");
  CHECK(parse_run_args({"--pull", "never", "alpine"}).pull == "never");
  CHECK(parse_run_args({"--pull=newer", "alpine"}).pull == "newer");
  auto flags = parse_run_args({"--pull", "alpine", "--pull", "never"});
  CHECK(flags.pull == "always");
  CHECK(flags.image_and_command == Words{"alpine", "--pull", "never"});
}

TEST_CASE("run: -h is the hostname, valued options and optional fields") {
  auto flags = parse_run_args({"-h", "box", "--name", "n1", "-w", "/tmp", "-u", "1:2", "--network=none",
                               "--read-only", "alpine"});
  CHECK(flags.hostname == "box");
  CHECK(flags.name == "n1");
  CHECK(flags.workdir == "/tmp");
  CHECK(flags.user == "1:2");
  CHECK(flags.networks == std::vector<std::string>{"none"});
  CHECK(flags.read_only);
  CHECK_FALSE(flags.entrypoint.has_value());
  CHECK_FALSE(flags.tls_verify.has_value());
  flags = parse_run_args({"--entrypoint=", "--tls-verify=false", "--net", "host", "alpine"});
  REQUIRE(flags.entrypoint.has_value());
  CHECK(flags.entrypoint->empty());
  CHECK(flags.tls_verify == std::optional<bool>(false));
  CHECK(flags.networks == std::vector<std::string>{"host"});
  CHECK(parse_run_args({"--tls-verify", "alpine"}).tls_verify == std::optional<bool>(true));
  CHECK(parse_run_args({"--entrypoint", "/bin/sh", "a"}).entrypoint == std::optional<std::string>("/bin/sh"));
}

TEST_CASE("run: several --network flags name user-defined networks only") {
  auto flags = parse_run_args({"--network", "a", "--network", "b:alias=x", "--network-alias", "y",
                               "alpine"});
  CHECK(cli::to_run_request(flags).network == "a:alias=y+b:alias=x,alias=y");
  CHECK_THROWS_WITH_AS(
      cli::to_run_request(parse_run_args({"--network", "a", "--network", "none", "alpine"})),
      doctest::Contains("only user-defined networks can be combined"), util::Error);
  CHECK_THROWS_WITH_AS(
      cli::to_run_request(parse_run_args({"--network", "a", "--network", "a", "alpine"})),
      doctest::Contains("given twice"), util::Error);
}

TEST_CASE("run: bad usage is a parse error") {
  CHECK(parse_run_args({"--rm"}).image_and_command.empty());
  CHECK_THROWS_AS(cli::to_run_request(parse_run_args({"--rm"})), util::Error);
  CHECK_THROWS_AS(parse_run_args({"--bogus", "alpine"}), CLI::ParseError);
  CHECK_THROWS_AS(parse_run_args({"-e"}), CLI::ParseError);
}

TEST_CASE("split_command_args: global flags, the run subcommand, and its command") {
  CLI::App app{"cove"};
  std::string root;
  app.add_option("--root", root);
  cli::RunFlags flags;
  CLI::App* run = app.add_subcommand("run");
  cli::add_run_flags(*run, flags);
  auto split = cli::split_command_args(
      app, {"--root", "run", "run", "-it", "--pull", "img", "-e", "X"}, cli::run_scan_rules());
  CHECK(split.options == Words{"--root", "run", "run", "-i", "-t", "--pull=always"});
  CHECK(split.command == Words{"img", "-e", "X"});
  split = cli::split_command_args(app, {"--root=/r", "bogus", "x"}, cli::run_scan_rules());
  CHECK(split.options == Words{"--root=/r", "bogus", "x"});
  CHECK(split.command.empty());
}

TEST_SUITE_END();
