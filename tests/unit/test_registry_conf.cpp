#include "registry/registries_conf.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>

using namespace registry;

TEST_SUITE_BEGIN("registry");

TEST_CASE("registries.conf: [[registry]] tables") {
  auto conf = parse_registries_conf(R"(
# comment
unqualified-search-registries = ["docker.io",
  "quay.io"]   # continues over lines

[[registry]]
location = "myreg.example.com:5000"
insecure = true

[[registry.mirror]]
location = "mirror.example.com"
insecure = false

[[registry]]
location = 'secure.example.com/team'  # literal string
insecure = false
blocked = false
)",
                                    "test.conf");
  REQUIRE(conf.registries.size() == 2);
  CHECK(conf.registries[0].location == "myreg.example.com:5000");
  CHECK(conf.registries[0].insecure);
  CHECK(conf.registries[1].location == "secure.example.com/team");
  CHECK_FALSE(conf.registries[1].insecure);
  CHECK(conf.insecure_for("myreg.example.com:5000") == true);
  CHECK(conf.insecure_for("myreg.example.com:5000/app/x") == true);
  CHECK_FALSE(conf.insecure_for("myreg.example.com:50001").has_value());
  CHECK(conf.insecure_for("secure.example.com/team/app") == false);
  CHECK_FALSE(conf.insecure_for("secure.example.com/other").has_value());
  CHECK_FALSE(conf.insecure_for("mirror.example.com").has_value());
}

TEST_CASE("registries.conf: the v1 [registries.insecure] form") {
  auto conf = parse_registries_conf(R"(
[registries.search]
registries = ["docker.io"]

[registries.insecure]
registries = [
  "localhost:5001",   # old style
  "10.0.0.5:5000",
]

[registries.block]
registries = []
)",
                                    "v1.conf");
  REQUIRE(conf.registries.size() == 2);
  CHECK(conf.insecure_for("localhost:5001") == true);
  CHECK(conf.insecure_for("10.0.0.5:5000") == true);
  CHECK_FALSE(conf.insecure_for("docker.io").has_value());
}

TEST_CASE("registries.conf: prefix, wildcards and the most specific match") {
  auto conf = parse_registries_conf(R"(
[[registry]]
prefix = "example.com/insecure"
location = "internal.example.com"
insecure = true

[[registry]]
location = "example.com"
insecure = false

[[registry]]
location = "*.lab.example"
insecure = true
)",
                                    "x.conf");
  CHECK(conf.insecure_for("example.com/insecure/app") == true);
  CHECK(conf.insecure_for("example.com/app") == false);
  CHECK(conf.insecure_for("reg.lab.example:5000/app") == true);
  CHECK_FALSE(conf.insecure_for("lab.example").has_value());
}

TEST_CASE("registries.conf: malformed input names file and line") {
  CHECK_THROWS_WITH_AS(
      parse_registries_conf("[[registry]]\nlocation = \"x\ninsecure = true\n", "f.conf"),
      doctest::Contains("f.conf:2"), util::Error);
  CHECK_THROWS_WITH_AS(parse_registries_conf("[[registry]]\ninsecure = \"yes\"\n", "f.conf"),
                       doctest::Contains("f.conf:2: insecure must be true or false"), util::Error);
  CHECK_THROWS_WITH_AS(parse_registries_conf("\n\njust words\n", "f.conf"),
                       doctest::Contains("f.conf:3"), util::Error);
  CHECK(parse_registries_conf("", "empty").registries.empty());
}

TEST_CASE("load_registries_conf: the user's file replaces the system one") {
  auto dir = std::filesystem::current_path() / "xdg-config";
  util::make_dirs(dir / "containers");
  util::write_file_atomic(dir / "containers/registries.conf",
                          "[[registry]]\nlocation = \"user.example\"\ninsecure = true\n");
  const char* old = std::getenv("XDG_CONFIG_HOME");
  std::string saved = old != nullptr ? old : "";
  ::setenv("XDG_CONFIG_HOME", dir.c_str(), 1);
  auto conf = load_registries_conf();
  if (old != nullptr)
    ::setenv("XDG_CONFIG_HOME", saved.c_str(), 1);
  else
    ::unsetenv("XDG_CONFIG_HOME");
  REQUIRE(conf.registries.size() == 1);
  CHECK(conf.insecure_for("user.example") == true);
}

TEST_SUITE_END();
