#include "image/reference.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>

#include <string>

TEST_SUITE_BEGIN("image");

namespace {
const std::string hex64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

std::string norm(std::string_view text) { return image::ImageRef::parse(text).str(); }
} // namespace

TEST_CASE("reference: Docker normalization") {
  CHECK(norm("busybox") == "docker.io/library/busybox:latest");
  CHECK(norm("busybox:1.36") == "docker.io/library/busybox:1.36");
  CHECK(norm("user/app:1") == "docker.io/user/app:1");
  CHECK(norm("docker.io/busybox") == "docker.io/library/busybox:latest");
  CHECK(norm("index.docker.io/busybox") == "docker.io/library/busybox:latest");
  CHECK(norm("index.docker.io/user/app") == "docker.io/user/app:latest");
  CHECK(norm("docker.io/library/busybox") == "docker.io/library/busybox:latest");
  CHECK(norm("a/b/c/d") == "docker.io/a/b/c/d:latest");
  CHECK(norm("localhost/x") == "localhost/x:latest");
  CHECK(norm("localhost:5000/x") == "localhost:5000/x:latest");
  CHECK(norm("127.0.0.1:5000/ns/x:v2") == "127.0.0.1:5000/ns/x:v2");
  CHECK(norm("quay.io/podman/stable") == "quay.io/podman/stable:latest");
  CHECK(norm("[::1]:5000/x") == "[::1]:5000/x:latest");
  // An upper-case first component can only be a host.
  CHECK(norm("Registry/x") == "Registry/x:latest");
}

TEST_CASE("reference: accessors") {
  auto ref = image::ImageRef::parse("localhost:5000/ns/app:1.2");
  CHECK(ref.registry() == "localhost:5000");
  CHECK(ref.repository() == "ns/app");
  CHECK(ref.tag() == "1.2");
  CHECK_FALSE(ref.digest().has_value());
  CHECK(ref.name() == "localhost:5000/ns/app");
  // "localhost:5000" alone is a name with a tag, as in Docker.
  auto odd = image::ImageRef::parse("localhost:5000");
  CHECK(odd.repository() == "library/localhost");
  CHECK(odd.tag() == "5000");
}

TEST_CASE("reference: digests") {
  auto ref = image::ImageRef::parse("x@sha256:" + hex64);
  CHECK(ref.str() == "docker.io/library/x@sha256:" + hex64);
  CHECK(ref.tag().empty());
  REQUIRE(ref.digest().has_value());
  CHECK(ref.digest()->hex() == hex64);

  auto both = image::ImageRef::parse("localhost:5000/x:1@sha256:" + hex64);
  CHECK(both.tag() == "1");
  CHECK(both.str() == "localhost:5000/x:1@sha256:" + hex64);
  CHECK(image::ImageRef::parse(both.str()) == both);
}

TEST_CASE("reference: tags") {
  CHECK(image::ImageRef::parse("x:_under").tag() == "_under");
  CHECK(image::ImageRef::parse("x:A.b-C_9").tag() == "A.b-C_9");
  std::string longest(128, 'a');
  CHECK(image::ImageRef::parse("x:" + longest).tag() == longest);
}

TEST_CASE("reference: separators in path components") {
  CHECK(norm("a.b/c_d") == "a.b/c_d:latest"); // "a.b" has a dot: a host
  CHECK(norm("ns/a__b") == "docker.io/ns/a__b:latest");
  CHECK(norm("ns/a---b") == "docker.io/ns/a---b:latest");
  CHECK(norm("ns/a.b-c_d") == "docker.io/ns/a.b-c_d:latest");
}

TEST_CASE("reference: invalid references") {
  const char* bad[] = {
      "",         "UPPER",      "ns/Upper",     "x:",        "x:-tag", "x:.tag", "x:t@g",
      "x@",       "x@sha256:",  "x@sha256:abc", "x@md5:abc", "a//b",   "/x",     "x/",
      "ns/a___b", "ns/a..b",    "ns/-a",        "ns/a-",     "ns/_a",  "x y",    ":tag",
      "host:/x",  "-host.io/x", "host-.io/x",   "h:port/x",  "ns/a$b", "[::1/x", "a@b@c",
  };
  for (const char* text : bad) {
    CAPTURE(text);
    CHECK_THROWS_WITH_AS(image::ImageRef::parse(text),
                         doctest::Contains("invalid reference format"), util::Error);
  }
  CHECK_THROWS_WITH_AS(image::ImageRef::parse("x:" + std::string(129, 'a')),
                       doctest::Contains("invalid reference format"), util::Error);
  CHECK_THROWS_WITH_AS(image::ImageRef::parse("x@sha256:" + std::string(64, 'A')),
                       doctest::Contains("invalid reference format"), util::Error);
  CHECK_THROWS_WITH_AS(image::ImageRef::parse("x@sha512:" + hex64 + hex64),
                       doctest::Contains("invalid reference format"), util::Error);
  CHECK_THROWS_WITH_AS(image::ImageRef::parse(hex64), doctest::Contains("64-byte hexadecimal"),
                       util::Error);
  CHECK_THROWS_WITH_AS(image::ImageRef::parse("Foo"), doctest::Contains("\"Foo\""), util::Error);
}

TEST_CASE("reference: total name length") {
  // docker.io/ (10) + library/ (8) + name: the normalized name counts.
  std::string ok_name(255 - 18, 'a');
  CHECK_NOTHROW(image::ImageRef::parse(ok_name));
  CHECK_THROWS_WITH_AS(image::ImageRef::parse(ok_name + "a"),
                       doctest::Contains("invalid reference format"), util::Error);
  std::string long_host = "r.io/" + std::string(251, 'b');
  CHECK_THROWS_WITH_AS(image::ImageRef::parse(long_host), doctest::Contains("255"), util::Error);
}

TEST_CASE("reference: with_tag and with_digest") {
  auto ref = image::ImageRef::parse("x:1@sha256:" + hex64);
  auto retagged = ref.with_tag("2");
  CHECK(retagged.str() == "docker.io/library/x:2");
  CHECK_THROWS_WITH_AS(ref.with_tag("bad tag"), doctest::Contains("invalid reference format"),
                       util::Error);
  auto pinned = image::ImageRef::parse("x").with_digest(image::Digest::from_hex(hex64));
  CHECK(pinned.str() == "docker.io/library/x:latest@sha256:" + hex64);
  CHECK(pinned != image::ImageRef::parse("x"));
}

TEST_CASE("reference: equality after normalization") {
  using image::ImageRef;
  CHECK(ImageRef::parse("busybox") == ImageRef::parse("docker.io/library/busybox:latest"));
  CHECK(ImageRef::parse("index.docker.io/library/busybox") == ImageRef::parse("busybox"));
  CHECK(ImageRef::parse("busybox:1") != ImageRef::parse("busybox"));
  CHECK(ImageRef::parse("localhost/busybox") != ImageRef::parse("busybox"));
}

TEST_CASE("reference: hosts and ports") {
  CHECK(norm("[::1]/x") == "[::1]/x:latest");
  CHECK(norm("[2001:db8::1]:443/ns/x") == "[2001:db8::1]:443/ns/x:latest");
  CHECK(norm("my-registry.example.com:65535/x") == "my-registry.example.com:65535/x:latest");
  CHECK(norm("a.b.c:5000/ns/img@sha256:" + hex64) == "a.b.c:5000/ns/img@sha256:" + hex64);
  for (const char* bad : {"localhost/UPPER", "[]/x", "[::1]x/x", "[::1]:/x", "host.:5000/x",
                          "ho_st.io/x", "registry.io:50a0/x"}) {
    CAPTURE(bad);
    CHECK_THROWS_WITH_AS(image::ImageRef::parse(bad), doctest::Contains("invalid reference format"),
                         util::Error);
  }
}

TEST_CASE("looks_like_id_prefix") {
  CHECK(image::looks_like_id_prefix("abc"));
  CHECK(image::looks_like_id_prefix("0123456789ab"));
  CHECK(image::looks_like_id_prefix(hex64));
  CHECK(image::looks_like_id_prefix("sha256:" + hex64));
  CHECK(image::looks_like_id_prefix("sha256:ab"));
  CHECK_FALSE(image::looks_like_id_prefix("ab"));
  CHECK_FALSE(image::looks_like_id_prefix(""));
  CHECK_FALSE(image::looks_like_id_prefix("sha256:"));
  CHECK_FALSE(image::looks_like_id_prefix("ABC"));
  CHECK_FALSE(image::looks_like_id_prefix("busybox"));
  CHECK_FALSE(image::looks_like_id_prefix(hex64 + "0"));
  CHECK_FALSE(image::looks_like_id_prefix("abc:1"));
}

TEST_SUITE_END();
