#include "registry/auth.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>

using namespace registry;

TEST_SUITE_BEGIN("registry");

TEST_CASE("parse_www_authenticate: Docker Hub bearer challenge") {
  auto c = parse_www_authenticate(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull")");
  REQUIRE(c.size() == 1);
  CHECK(c[0].scheme == "bearer");
  CHECK(c[0].param("realm") == "https://auth.docker.io/token");
  CHECK(c[0].param("service") == "registry.docker.io");
  CHECK(c[0].param("scope") == "repository:library/busybox:pull");
  CHECK(c[0].param("error").empty());
}

TEST_CASE("parse_www_authenticate: real-world shapes") {
  SUBCASE("ghcr.io") {
    auto c = parse_www_authenticate(
        R"(Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:user/image:pull")");
    REQUIRE(c.size() == 1);
    CHECK(c[0].param("service") == "ghcr.io");
  }
  SUBCASE("a scope with several actions keeps its comma") {
    auto c = parse_www_authenticate(
        R"(Bearer realm="https://quay.io/v2/auth",service="quay.io",scope="repository:org/app:pull,push")");
    REQUIRE(c.size() == 1);
    CHECK(c[0].param("scope") == "repository:org/app:pull,push");
  }
  SUBCASE("error parameter and spaces after commas") {
    auto c = parse_www_authenticate(
        R"(Bearer realm="https://r/token", service="r", scope="repository:x:pull", error="insufficient_scope")");
    REQUIRE(c.size() == 1);
    CHECK(c[0].param("error") == "insufficient_scope");
    CHECK(c[0].param("service") == "r");
  }
  SUBCASE("Basic realm from docker-registry's htpasswd auth") {
    auto c = parse_www_authenticate(R"(Basic realm="Registry Realm")");
    REQUIRE(c.size() == 1);
    CHECK(c[0].scheme == "basic");
    CHECK(c[0].param("realm") == "Registry Realm");
  }
  SUBCASE("several challenges in one header") {
    auto c =
        parse_www_authenticate(R"(Basic realm="b", Bearer realm="https://t/token",service="s")");
    REQUIRE(c.size() == 2);
    CHECK(c[0].scheme == "basic");
    CHECK(c[1].scheme == "bearer");
    CHECK(c[1].param("service") == "s");
  }
  SUBCASE("unquoted values, upper-case names and escapes") {
    auto c = parse_www_authenticate(R"(BEARER Realm=https://t/token,Service=s,scope="a\"b")");
    REQUIRE(c.size() == 1);
    CHECK(c[0].scheme == "bearer");
    CHECK(c[0].param("realm") == "https://t/token");
    CHECK(c[0].param("service") == "s");
    CHECK(c[0].param("scope") == "a\"b");
  }
}

TEST_CASE("parse_www_authenticate rejects malformed headers") {
  CHECK_THROWS_WITH_AS(parse_www_authenticate(R"(Bearer realm="https://x)"),
                       doctest::Contains("unterminated"), util::Error);
  CHECK_THROWS_WITH_AS(parse_www_authenticate(R"(realm="x")"),
                       doctest::Contains("before any scheme"), util::Error);
  CHECK(parse_www_authenticate("").empty());
}

TEST_CASE("base64") {
  CHECK(base64_encode("user:pass") == "dXNlcjpwYXNz");
  CHECK(base64_encode("a") == "YQ==");
  CHECK(base64_encode("ab") == "YWI=");
  CHECK(base64_decode("dXNlcjpwYXNz") == "user:pass");
  CHECK(base64_decode("YQ==") == "a");
  CHECK(base64_decode("YWI") == "ab");
  std::string binary("\x00\xff\x10:", 4);
  CHECK(base64_decode(base64_encode(binary)) == binary);
  CHECK_THROWS_AS(base64_decode("a!b"), util::Error);
  CHECK(basic_authorization({"user", "pass"}) == "Basic dXNlcjpwYXNz");
  CHECK(pull_scope("library/busybox") == "repository:library/busybox:pull");
}

TEST_CASE("parse_auth_file: podman auth.json and Docker config keys") {
  // user:pass, alice:s3cr:et (a password may contain ':')
  std::string text = R"({"auths": {
    "localhost:5000": {"auth": "dXNlcjpwYXNz"},
    "https://index.docker.io/v1/": {"auth": "YWxpY2U6czNjcjpldA=="},
    "https://registry.example.com": {"auth": "dXNlcjpwYXNz"},
    "empty.example.com": {"auth": ""},
    "token.example.com": {"identitytoken": "x"}
  }})";
  auto local = parse_auth_file(text, "localhost:5000", "auth.json");
  REQUIRE(local);
  CHECK(local->username == "user");
  CHECK(local->password == "pass");
  auto hub = parse_auth_file(text, "docker.io", "auth.json");
  REQUIRE(hub);
  CHECK(hub->username == "alice");
  CHECK(hub->password == "s3cr:et");
  CHECK(parse_auth_file(text, "registry.example.com", "auth.json"));
  CHECK_FALSE(parse_auth_file(text, "localhost:5001", "auth.json"));
  CHECK_FALSE(parse_auth_file(text, "empty.example.com", "auth.json"));
  CHECK_FALSE(parse_auth_file(text, "token.example.com", "auth.json"));
  CHECK_FALSE(parse_auth_file(R"({"credsStore": "desktop"})", "docker.io", "config.json"));
}

TEST_CASE("parse_auth_file: an exact key wins over a URL form") {
  std::string text =
      R"({"auths": {"https://docker.io": {"auth": "YTpi"}, "docker.io": {"auth": "Yzpk"}}})";
  auto creds = parse_auth_file(text, "docker.io", "auth.json");
  REQUIRE(creds);
  CHECK(creds->username == "c");
}

TEST_CASE("parse_auth_file: errors name the file") {
  CHECK_THROWS_WITH_AS(parse_auth_file("{not json", "x", "/home/u/auth.json"),
                       doctest::Contains("/home/u/auth.json"), util::Error);
  CHECK_THROWS_WITH_AS(
      parse_auth_file(R"({"auths": {"x": {"auth": "bm9jb2xvbg=="}}})", "x", "f.json"),
      doctest::Contains("user:password"), util::Error);
}

TEST_CASE("load_credentials: override file, then the search order") {
  auto dir = std::filesystem::current_path();
  util::write_file_atomic(dir / "a.json", R"({"auths": {"r.example": {"auth": "dXNlcjpwYXNz"}}})");
  util::write_file_atomic(dir / "b.json", R"({"auths": {"q.example": {"auth": "YTpi"}}})");

  auto lookup = load_credentials("r.example", (dir / "a.json").string());
  REQUIRE(lookup.credentials);
  CHECK(lookup.file == dir / "a.json");
  CHECK_FALSE(load_credentials("q.example", (dir / "a.json").string()).credentials);

  ::setenv("REGISTRY_AUTH_FILE", (dir / "b.json").c_str(), 1);
  auto candidates = auth_file_candidates("");
  REQUIRE(!candidates.empty());
  CHECK(candidates.front() == dir / "b.json");
  auto found = load_credentials("q.example", "");
  REQUIRE(found.credentials);
  CHECK(found.credentials->username == "a");
  CHECK(found.file == dir / "b.json");
  auto missing = load_credentials("nowhere.example", "");
  CHECK_FALSE(missing.credentials);
  CHECK(missing.file == dir / "b.json");
  ::unsetenv("REGISTRY_AUTH_FILE");
}

TEST_SUITE_END();
