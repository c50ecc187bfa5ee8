// Manifests and indexes (OCI and Docker v2 schema 2): parsed from untrusted registry bytes.
#pragma once

#include "image/digest.hpp"
#include "image/platform.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace image {

// How a layer blob is compressed, from its media type.
enum class Compression { none, gzip, zstd };

struct Descriptor {
  std::string media_type;
  Digest digest;
  std::int64_t size = 0;
  std::optional<Platform> platform; // only in index entries
  std::vector<std::string> urls;
  std::map<std::string, std::string> annotations;
};

struct Manifest {
  std::string media_type; // oci_manifest or docker_manifest
  Descriptor config;
  std::vector<Descriptor> layers;
  std::map<std::string, std::string> annotations;
};

struct Index {
  std::string media_type; // oci_index or docker_manifest_list
  std::vector<Descriptor> manifests;
};

// Parses a manifest or an index. The type comes from the JSON "mediaType" when present, else
// from content_type, else from the shape (a "manifests" array means an index). Validates every
// field it uses (digests, non-negative sizes, known schemaVersion 2); throws util::Error naming
// what is wrong ("parse manifest: layers[2].digest: invalid digest \"sha256:zz\"").
std::variant<Manifest, Index> parse_manifest(std::string_view bytes, std::string_view content_type);

// The index entry for `want`, or nullopt. Prefers an exact variant match, then a missing variant.
std::optional<Descriptor> select_platform(const Index& index, const Platform& want);

// Compression implied by a layer media type; throws util::Error for non-layer types.
Compression layer_compression(std::string_view media_type);

// Serializes an OCI image manifest (schemaVersion 2) with stable key order.
std::string to_json(const Manifest& manifest);

} // namespace image
