#include "image/manifest.hpp"
#include "image/media_types.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>

#include <string>

TEST_SUITE_BEGIN("image");

namespace {

const std::string h1 = "1111111111111111111111111111111111111111111111111111111111111111";
const std::string h2 = "2222222222222222222222222222222222222222222222222222222222222222";
const std::string h3 = "3333333333333333333333333333333333333333333333333333333333333333";

const std::string oci_manifest = R"({
  "schemaVersion": 2,
  "mediaType": "application/vnd.oci.image.manifest.v1+json",
  "config": {
    "mediaType": "application/vnd.oci.image.config.v1+json",
    "digest": "sha256:1111111111111111111111111111111111111111111111111111111111111111",
    "size": 581
  },
  "layers": [
    {
      "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
      "digest": "sha256:2222222222222222222222222222222222222222222222222222222222222222",
      "size": 2152262,
      "annotations": {"org.opencontainers.image.title": "base"}
    },
    {
      "mediaType": "application/vnd.oci.image.layer.v1.tar+zstd",
      "digest": "sha256:3333333333333333333333333333333333333333333333333333333333333333",
      "size": 0,
      "urls": ["https://example.com/layer"]
    }
  ],
  "annotations": {"org.opencontainers.image.created": "2026-01-01T00:00:00Z"}
})";

const std::string oci_index = R"({
  "schemaVersion": 2,
  "mediaType": "application/vnd.oci.image.index.v1+json",
  "manifests": [
    {"mediaType": "application/vnd.oci.image.manifest.v1+json",
     "digest": "sha256:1111111111111111111111111111111111111111111111111111111111111111",
     "size": 100, "platform": {"architecture": "amd64", "os": "linux"}},
    {"mediaType": "application/vnd.oci.image.manifest.v1+json",
     "digest": "sha256:2222222222222222222222222222222222222222222222222222222222222222",
     "size": 101, "platform": {"architecture": "arm", "os": "linux", "variant": "v6"}},
    {"mediaType": "application/vnd.oci.image.manifest.v1+json",
     "digest": "sha256:3333333333333333333333333333333333333333333333333333333333333333",
     "size": 102, "platform": {"architecture": "arm", "os": "linux", "variant": "v7"}},
    {"mediaType": "application/vnd.oci.image.manifest.v1+json",
     "digest": "sha256:4444444444444444444444444444444444444444444444444444444444444444",
     "size": 103, "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"}},
    {"mediaType": "application/vnd.oci.image.manifest.v1+json",
     "digest": "sha256:5555555555555555555555555555555555555555555555555555555555555555",
     "size": 104, "platform": {"architecture": "unknown", "os": "unknown"},
     "annotations": {"vnd.docker.reference.type": "attestation-manifest"}},
    {"mediaType": "application/vnd.oci.image.manifest.v1+json",
     "digest": "sha256:6666666666666666666666666666666666666666666666666666666666666666",
     "size": 105, "platform": {"architecture": "amd64", "os": "windows",
                               "os.version": "10.0.17763.1"}}
  ]
})";

const std::string docker_manifest = R"({
   "schemaVersion": 2,
   "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
   "config": {
      "mediaType": "application/vnd.docker.container.image.v1+json",
      "size": 1457,
      "digest": "sha256:1111111111111111111111111111111111111111111111111111111111111111"
   },
   "layers": [
      {
         "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
         "size": 772788,
         "digest": "sha256:2222222222222222222222222222222222222222222222222222222222222222"
      }
   ]
})";

const std::string docker_list = R"({
   "schemaVersion": 2,
   "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
   "manifests": [
      {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "size": 528,
       "digest": "sha256:1111111111111111111111111111111111111111111111111111111111111111",
       "platform": {"architecture": "amd64", "os": "linux"}},
      {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "size": 528,
       "digest": "sha256:2222222222222222222222222222222222222222222222222222222222222222",
       "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"}},
      {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "size": 528,
       "digest": "sha256:3333333333333333333333333333333333333333333333333333333333333333",
       "platform": {"architecture": "ppc64le", "os": "linux"}}
   ]
})";

image::Manifest as_manifest(const std::string& bytes, std::string_view content_type = "") {
  auto parsed = image::parse_manifest(bytes, content_type);
  REQUIRE(std::holds_alternative<image::Manifest>(parsed));
  return std::get<image::Manifest>(parsed);
}

image::Index as_index(const std::string& bytes, std::string_view content_type = "") {
  auto parsed = image::parse_manifest(bytes, content_type);
  REQUIRE(std::holds_alternative<image::Index>(parsed));
  return std::get<image::Index>(parsed);
}

// Replaces the first occurrence of `from` in `text`.
std::string patch(std::string text, const std::string& from, const std::string& to) {
  auto pos = text.find(from);
  REQUIRE(pos != std::string::npos);
  return text.replace(pos, from.size(), to);
}

void check_rejected(const std::string& bytes, const char* expected) {
  CHECK_THROWS_WITH_AS(image::parse_manifest(bytes, ""), doctest::Contains(expected), util::Error);
}

} // namespace

TEST_CASE("manifest: OCI image manifest") {
  auto m = as_manifest(oci_manifest);
  CHECK(m.media_type == image::media::oci_manifest);
  CHECK(m.config.media_type == image::media::oci_config);
  CHECK(m.config.digest.hex() == h1);
  CHECK(m.config.size == 581);
  REQUIRE(m.layers.size() == 2);
  CHECK(m.layers[0].size == 2152262);
  CHECK(m.layers[0].annotations.at("org.opencontainers.image.title") == "base");
  CHECK(m.layers[1].digest.hex() == h3);
  CHECK(m.layers[1].size == 0);
  CHECK(m.layers[1].urls == std::vector<std::string>{"https://example.com/layer"});
  CHECK(m.annotations.size() == 1);
  CHECK(image::layer_compression(m.layers[0].media_type) == image::Compression::gzip);
  CHECK(image::layer_compression(m.layers[1].media_type) == image::Compression::zstd);
}

TEST_CASE("manifest: Docker v2 schema 2 manifest") {
  auto m = as_manifest(docker_manifest);
  CHECK(m.media_type == image::media::docker_manifest);
  CHECK(m.config.media_type == image::media::docker_config);
  REQUIRE(m.layers.size() == 1);
  CHECK(m.layers[0].digest.hex() == h2);
  CHECK(image::layer_compression(m.layers[0].media_type) == image::Compression::gzip);
}

TEST_CASE("manifest: OCI index with several platforms") {
  auto index = as_index(oci_index);
  CHECK(index.media_type == image::media::oci_index);
  REQUIRE(index.manifests.size() == 6);
  REQUIRE(index.manifests[2].platform.has_value());
  CHECK(index.manifests[2].platform->variant == "v7");
  CHECK(index.manifests[5].platform->os == "windows");

  auto pick = [&](image::Platform want) {
    auto d = image::select_platform(index, want);
    return d ? d->digest.hex().substr(0, 1) : std::string("none");
  };
  CHECK(pick({"linux", "amd64", ""}) == "1");
  CHECK(pick({"linux", "arm", "v6"}) == "2");
  CHECK(pick({"linux", "arm", "v7"}) == "3");
  CHECK(pick({"linux", "arm", "v8"}) == "3"); // newest older arm variant
  CHECK(pick({"linux", "arm", "v5"}) == "none");
  CHECK(pick({"linux", "arm64", "v8"}) == "4");
  CHECK(pick({"linux", "arm64", ""}) == "4");
  CHECK(pick({"windows", "amd64", ""}) == "6");
  CHECK(pick({"linux", "s390x", ""}) == "none");
  CHECK(pick({"linux", "unknown", ""}) == "none");
}

TEST_CASE("manifest: Docker manifest list") {
  auto index = as_index(docker_list);
  CHECK(index.media_type == image::media::docker_manifest_list);
  REQUIRE(index.manifests.size() == 3);
  auto arm = image::select_platform(index, {"linux", "arm64", "v8"});
  REQUIRE(arm);
  CHECK(arm->digest.hex() == h2);
  CHECK(arm->media_type == image::media::docker_manifest);
  CHECK(image::select_platform(index, {"linux", "ppc64le", ""})->digest.hex() == h3);
}

TEST_CASE("manifest: select_platform prefers exact, then missing variant") {
  image::Index index{std::string(image::media::oci_index), {}};
  auto entry = [](const std::string& hex, image::Platform p) {
    return image::Descriptor{
        std::string(image::media::oci_manifest), image::Digest::from_hex(hex), 1, p, {}, {}};
  };
  index.manifests.push_back(entry(h1, {"linux", "arm64", ""}));
  index.manifests.push_back(entry(h2, {"linux", "arm64", "v8"}));
  CHECK(image::select_platform(index, {"linux", "arm64", "v8"})->digest.hex() == h2);
  CHECK(image::select_platform(index, {"linux", "arm64", ""})->digest.hex() == h1);
  index.manifests.erase(index.manifests.begin() + 1);
  CHECK(image::select_platform(index, {"linux", "arm64", "v8"})->digest.hex() == h1);
  index.manifests.clear();
  CHECK_FALSE(image::select_platform(index, {"linux", "arm64", "v8"}));
}

TEST_CASE("manifest: type from content type or shape when mediaType is absent") {
  std::string bare =
      patch(oci_manifest, R"("mediaType": "application/vnd.oci.image.manifest.v1+json",)", "");
  CHECK(as_manifest(bare).media_type == image::media::oci_manifest);
  CHECK(as_manifest(bare, "application/vnd.docker.distribution.manifest.v2+json; charset=utf-8")
            .media_type == image::media::docker_manifest);
  std::string bare_index =
      patch(oci_index, R"("mediaType": "application/vnd.oci.image.index.v1+json",)", "");
  CHECK(as_index(bare_index).media_type == image::media::oci_index);
  CHECK(as_index(bare_index, "application/json").media_type == image::media::oci_index);
}

TEST_CASE("manifest: to_json round-trips through parse_manifest") {
  auto m = as_manifest(oci_manifest);
  std::string text = image::to_json(m);
  auto again = as_manifest(text);
  CHECK(again.config.digest == m.config.digest);
  REQUIRE(again.layers.size() == m.layers.size());
  CHECK(again.layers[0].annotations == m.layers[0].annotations);
  CHECK(again.layers[1].urls == m.layers[1].urls);
  CHECK(again.annotations == m.annotations);
  CHECK(image::to_json(again) == text); // stable output
  CHECK(text.find("\"schemaVersion\":2") != std::string::npos);
}

TEST_CASE("manifest: garbage and truncated input") {
  check_rejected("", "invalid JSON");
  check_rejected("not json", "invalid JSON");
  check_rejected(oci_manifest.substr(0, oci_manifest.size() / 2), "invalid JSON");
  check_rejected("[]", "expected a JSON object");
  check_rejected("\"manifest\"", "expected a JSON object");
  check_rejected("{}", "schemaVersion: missing");
  check_rejected(R"({"schemaVersion": 1, "name": "x", "fsLayers": []})",
                 "unsupported schemaVersion 1");
  check_rejected(R"({"schemaVersion": "2"})", "schemaVersion: expected an integer");
  check_rejected(R"({"schemaVersion": 3})", "unsupported schemaVersion 3");
  check_rejected(R"({"schemaVersion": 2, "layers": []})", "config: missing");
  check_rejected(patch(oci_manifest, "\"layers\"", "\"layerz\""), "layers: missing");
  check_rejected(patch(oci_manifest, "\"layers\": [", "\"layers\": {\"a\": ["), "invalid JSON");
  check_rejected(R"({"schemaVersion": 2, "manifests": {}})", "manifests: expected an array");
}

TEST_CASE("manifest: bad fields are named") {
  check_rejected(patch(oci_manifest, "sha256:2222", "sha256:zz22"),
                 "layers[0].digest: invalid digest");
  check_rejected(patch(oci_manifest, "sha256:3333", "md5:3333"), "layers[1].digest");
  check_rejected(patch(oci_manifest, "\"size\": 581", "\"size\": -1"),
                 "config.size: negative size -1");
  check_rejected(patch(oci_manifest, "\"size\": 2152262", "\"size\": 1.5"), "layers[0].size");
  check_rejected(patch(oci_manifest, "\"size\": 2152262", "\"size\": \"12\""), "layers[0].size");
  check_rejected(patch(oci_manifest, "\"size\": 0", "\"size\": 18446744073709551615"),
                 "layers[1].size");
  check_rejected(patch(oci_manifest, "\"size\": 581", "\"sighs\": 581"), "config.size: missing");
  check_rejected(
      patch(oci_manifest, "\"mediaType\": \"application/vnd.oci.image.layer.v1.tar+gzip\",", ""),
      "layers[0].mediaType: missing");
  check_rejected(patch(oci_manifest, "\"base\"", "7"),
                 "layers[0].annotations.org.opencontainers.image.title");
  check_rejected(patch(oci_manifest, "[\"https://example.com/layer\"]", "\"x\""), "layers[1].urls");
  check_rejected(patch(oci_manifest, "application/vnd.oci.image.manifest.v1+json", "text/plain"),
                 "mediaType: unsupported media type");
  check_rejected(patch(oci_index, R"("architecture": "amd64", )", ""),
                 "manifests[0].platform.architecture: missing");
  check_rejected(patch(oci_index, R"("os": "linux"})", R"("os": 5})"), "manifests[0].platform.os");
  check_rejected(patch(docker_list, "sha256:3333", "sha256:3333X"), "manifests[2].digest");
  check_rejected(patch(docker_manifest, "\"layers\": [", "\"layers\": [7,"),
                 "layers[0]: expected an object");
}

TEST_CASE("manifest: null optional fields and entries without a platform") {
  std::string with_nulls =
      patch(oci_manifest, R"("annotations": {"org.opencontainers.image.title": "base"})",
            R"("annotations": null, "urls": null)");
  auto m = as_manifest(with_nulls);
  CHECK(m.layers[0].annotations.empty());
  CHECK(m.layers[0].urls.empty());
  auto index = as_index(patch(oci_index, R"("platform": {"architecture": "amd64", "os": "linux"})",
                              R"("platform": null)"));
  CHECK_FALSE(index.manifests[0].platform.has_value());
  CHECK_FALSE(image::select_platform(index, {"linux", "amd64", ""}));
  // An empty layers array is allowed (artifacts), a missing one is not.
  auto empty = as_manifest(R"({"schemaVersion": 2, "config": {"mediaType": "a", "size": 2,
      "digest": "sha256:1111111111111111111111111111111111111111111111111111111111111111"},
      "layers": []})");
  CHECK(empty.layers.empty());
  CHECK(empty.media_type == image::media::oci_manifest);
}

TEST_CASE("manifest: large sizes survive") {
  auto m = as_manifest(patch(oci_manifest, "\"size\": 2152262", "\"size\": 9223372036854775807"));
  CHECK(m.layers[0].size == 9223372036854775807LL);
  check_rejected(patch(oci_manifest, "\"size\": 2152262", "\"size\": 9223372036854775808"),
                 "layers[0].size");
}

TEST_CASE("manifest: layer_compression") {
  using image::Compression;
  CHECK(image::layer_compression(image::media::oci_layer) == Compression::none);
  CHECK(image::layer_compression(image::media::oci_layer_nondist_gzip) == Compression::gzip);
  CHECK(image::layer_compression(image::media::docker_layer_foreign_gzip) == Compression::gzip);
  CHECK(image::layer_compression(image::media::oci_layer_zstd) == Compression::zstd);
  CHECK_THROWS_WITH_AS(image::layer_compression(image::media::oci_config),
                       doctest::Contains("unsupported layer media type"), util::Error);
  CHECK_THROWS_AS(image::layer_compression(""), util::Error);
}

TEST_SUITE_END();
