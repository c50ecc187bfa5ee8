#include "image/digest.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>

#include <set>
#include <string>

TEST_SUITE_BEGIN("image");

namespace {
const std::string empty_hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
}

TEST_CASE("digest: parse and print") {
  auto d = image::Digest::parse("sha256:" + empty_hex);
  CHECK(d.algorithm() == "sha256");
  CHECK(d.hex() == empty_hex);
  CHECK(d.str() == "sha256:" + empty_hex);
  CHECK(d.short_hex() == "e3b0c44298fc");
  CHECK(image::Digest::parse(d.str()) == d);
}

TEST_CASE("digest: sha256_of and from_hex") {
  CHECK(image::Digest::sha256_of("") == image::Digest::from_hex(empty_hex));
  CHECK(image::Digest::sha256_of("abc").hex() ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK_THROWS_WITH_AS(image::Digest::from_hex("abc"), doctest::Contains("\"abc\""), util::Error);
  CHECK_THROWS_AS(image::Digest::from_hex(std::string(64, 'G')), util::Error);
}

TEST_CASE("digest: rejects malformed input and quotes it") {
  const std::string bad[] = {
      "",
      "sha256",
      "sha256:",
      ":" + empty_hex,
      empty_hex,
      "sha256:" + empty_hex.substr(1),
      "sha256:" + empty_hex + "0",
      "SHA256:" + empty_hex,
      "sha256:" + std::string(64, 'E'),
      "sha256:" + empty_hex.substr(0, 63) + "g",
      "sha256:" + empty_hex + "\n",
      " sha256:" + empty_hex,
  };
  for (const auto& text : bad) {
    CAPTURE(text);
    CHECK_THROWS_AS(image::Digest::parse(text), util::Error);
  }
  CHECK_THROWS_WITH_AS(image::Digest::parse("sha256:zz"), doctest::Contains("\"sha256:zz\""),
                       util::Error);
  CHECK_THROWS_WITH_AS(image::Digest::parse("sha512:" + empty_hex + empty_hex),
                       doctest::Contains("unsupported digest algorithm"), util::Error);
}

TEST_CASE("digest: ordering is usable in sets") {
  std::set<image::Digest> set;
  set.insert(image::Digest::sha256_of("a"));
  set.insert(image::Digest::sha256_of("b"));
  set.insert(image::Digest::sha256_of("a"));
  CHECK(set.size() == 2);
}

TEST_SUITE_END();
