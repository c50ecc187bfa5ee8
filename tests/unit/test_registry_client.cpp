#include "registry/client.hpp"
#include "registry/http.hpp"

#include <doctest/doctest.h>

using namespace registry;

TEST_SUITE_BEGIN("registry");

TEST_CASE("is_loopback_registry") {
  CHECK(is_loopback_registry("localhost"));
  CHECK(is_loopback_registry("localhost:5000"));
  CHECK(is_loopback_registry("LOCALHOST:5000"));
  CHECK(is_loopback_registry("127.0.0.1:5000"));
  CHECK(is_loopback_registry("127.4.5.6"));
  CHECK(is_loopback_registry("[::1]:5000"));
  CHECK(is_loopback_registry("[::1]"));
  CHECK_FALSE(is_loopback_registry("128.0.0.1:5000"));
  CHECK_FALSE(is_loopback_registry("[::2]:5000"));
  CHECK_FALSE(is_loopback_registry("localhost.example.com"));
  CHECK_FALSE(is_loopback_registry("docker.io"));
  CHECK_FALSE(is_loopback_registry("127.example.com:5000"));
}

TEST_CASE("choose_schemes") {
  using V = std::vector<Scheme>;
  const V plain{Scheme::http};
  const V secure{Scheme::https};
  const V insecure{Scheme::https_insecure, Scheme::http};
  CHECK(choose_schemes("localhost:5000", std::nullopt, std::nullopt) == plain);
  CHECK(choose_schemes("127.0.0.1:5000", std::nullopt, std::nullopt) == plain);
  CHECK(choose_schemes("[::1]:5000", std::nullopt, std::nullopt) == plain);
  CHECK(choose_schemes("docker.io", std::nullopt, std::nullopt) == secure);
  CHECK(choose_schemes("myreg.example:5000", std::nullopt, true) == insecure);
  CHECK(choose_schemes("myreg.example:5000", std::nullopt, false) == secure);
  CHECK(choose_schemes("myreg.example:5000", false, std::nullopt) == insecure);
  CHECK(choose_schemes("myreg.example:5000", true, true) == secure);
  CHECK(choose_schemes("localhost:5000", true, std::nullopt) == secure);
}

TEST_CASE("RegistryClient takes its transports from registries.conf") {
  auto conf = parse_registries_conf(
      "[[registry]]\nlocation = \"myreg.example:5000\"\ninsecure = true\n", "t.conf");
  RegistryClient insecure("myreg.example:5000", ClientOptions{}, conf);
  CHECK(insecure.schemes() == std::vector{Scheme::https_insecure, Scheme::http});
  RegistryClient hub("docker.io", ClientOptions{}, conf);
  CHECK(hub.schemes() == std::vector{Scheme::https});
  RegistryClient local("localhost:5000", ClientOptions{}, conf);
  CHECK(local.schemes() == std::vector{Scheme::http});
}

TEST_CASE("api_host maps Docker Hub to its API host") {
  CHECK(api_host("docker.io") == "registry-1.docker.io");
  CHECK(api_host("index.docker.io") == "registry-1.docker.io");
  CHECK(api_host("quay.io") == "quay.io");
  CHECK(api_host("localhost:5000") == "localhost:5000");
}

TEST_CASE("URL helpers for redirects") {
  CHECK(url_origin("https://Registry.Example/v2/x") == "https://registry.example:443");
  CHECK(url_origin("http://127.0.0.1:5000/v2/") == "http://127.0.0.1:5000");
  CHECK(url_origin("http://[::1]/v2/") == "http://[::1]:80");
  CHECK(url_origin("http://[::1]:5000/v2/") == "http://[::1]:5000");
  CHECK(url_origin("https://r.example/a") == url_origin("https://r.example:443/b"));
  CHECK(url_origin("https://r.example/a") != url_origin("http://r.example/a"));
  CHECK(url_host("https://user@r.example:5000/v2/?q") == "r.example:5000");

  const std::string base = "https://r.example/v2/x/blobs/sha256:ab?x=1";
  CHECK(resolve_location(base, "https://cdn.example/blob?sig=1") ==
        "https://cdn.example/blob?sig=1");
  CHECK(resolve_location(base, "//cdn.example/b") == "https://cdn.example/b");
  CHECK(resolve_location(base, "/other/path") == "https://r.example/other/path");
  CHECK(resolve_location(base, "rel") == "https://r.example/v2/x/blobs/rel");
}

TEST_CASE("Headers are looked up case-insensitively") {
  Headers h;
  h.add("Docker-Content-Digest", "sha256:x");
  h.add("content-type", "application/json");
  CHECK(h.get("docker-content-digest") == "sha256:x");
  CHECK(h.get("Content-Type") == "application/json");
  CHECK_FALSE(h.get("location"));
}

TEST_SUITE_END();
