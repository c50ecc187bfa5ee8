#include "image/manifest.hpp"

#include "image/media_types.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

#include <nlohmann/json.hpp>

#include <limits>

namespace image {

namespace {

using json = nlohmann::json;

[[noreturn]] void bad(std::string_view path, std::string_view why) {
  throw util::Error(util::cat("parse manifest: ", path, path.empty() ? "" : ": ", why));
}

std::string join_path(std::string_view path, std::string_view key) {
  return path.empty() ? std::string(key) : util::cat(path, '.', key);
}

// The member `key` of `obj`, or nullptr when absent; JSON null counts as absent.
const json* find(const json& obj, std::string_view key) {
  auto it = obj.find(key);
  return it == obj.end() || it->is_null() ? nullptr : &*it;
}

const json& require(const json& obj, std::string_view path, std::string_view key) {
  const json* value = find(obj, key);
  if (value == nullptr)
    bad(join_path(path, key), "missing");
  return *value;
}

std::string require_string(const json& obj, std::string_view path, std::string_view key) {
  const json& value = require(obj, path, key);
  if (!value.is_string())
    bad(join_path(path, key), "expected a string");
  return value.get<std::string>();
}

std::string optional_string(const json& obj, std::string_view path, std::string_view key) {
  const json* value = find(obj, key);
  if (value == nullptr)
    return {};
  if (!value->is_string())
    bad(join_path(path, key), "expected a string");
  return value->get<std::string>();
}

std::int64_t require_size(const json& obj, std::string_view path) {
  const json& value = require(obj, path, "size");
  if (value.is_number_unsigned() &&
      value.get<std::uint64_t>() <=
          static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
    return static_cast<std::int64_t>(value.get<std::uint64_t>());
  if (value.is_number_integer() && value.get<std::int64_t>() < 0)
    bad(join_path(path, "size"), util::cat("negative size ", value.dump()));
  bad(join_path(path, "size"), util::cat("expected a non-negative integer, got ", value.dump()));
}

Digest require_digest(const json& obj, std::string_view path) {
  std::string text = require_string(obj, path, "digest");
  try {
    return Digest::parse(text);
  } catch (const util::Error& e) {
    bad(join_path(path, "digest"), e.what());
  }
}

std::map<std::string, std::string> string_map(const json& obj, std::string_view path,
                                              std::string_view key) {
  std::map<std::string, std::string> out;
  const json* value = find(obj, key);
  if (value == nullptr)
    return out;
  if (!value->is_object())
    bad(join_path(path, key), "expected an object");
  for (const auto& [k, v] : value->items()) {
    if (!v.is_string())
      bad(util::cat(join_path(path, key), '.', k), "expected a string");
    out.emplace(k, v.get<std::string>());
  }
  return out;
}

std::vector<std::string> string_list(const json& obj, std::string_view path, std::string_view key) {
  std::vector<std::string> out;
  const json* value = find(obj, key);
  if (value == nullptr)
    return out;
  if (!value->is_array())
    bad(join_path(path, key), "expected an array");
  for (const auto& v : *value) {
    if (!v.is_string())
      bad(join_path(path, key), "expected an array of strings");
    out.push_back(v.get<std::string>());
  }
  return out;
}

Platform parse_platform(const json& obj, std::string_view path) {
  if (!obj.is_object())
    bad(path, "expected an object");
  Platform p;
  p.os = require_string(obj, path, "os");
  p.architecture = require_string(obj, path, "architecture");
  p.variant = optional_string(obj, path, "variant");
  return p;
}

Descriptor parse_descriptor(const json& obj, std::string_view path) {
  if (!obj.is_object())
    bad(path, "expected an object");
  Descriptor d{require_string(obj, path, "mediaType"),
               require_digest(obj, path),
               require_size(obj, path),
               std::nullopt,
               string_list(obj, path, "urls"),
               string_map(obj, path, "annotations")};
  if (const json* platform = find(obj, "platform"))
    d.platform = parse_platform(*platform, join_path(path, "platform"));
  return d;
}

std::vector<Descriptor> parse_descriptors(const json& obj, std::string_view key) {
  const json& list = require(obj, "", key);
  if (!list.is_array())
    bad(key, "expected an array");
  std::vector<Descriptor> out;
  for (size_t i = 0; i < list.size(); ++i)
    out.push_back(parse_descriptor(list[i], util::cat(key, '[', i, ']')));
  return out;
}

// Strips parameters ("; charset=utf-8") and whitespace from a Content-Type value.
std::string_view bare_media_type(std::string_view content_type) {
  return util::trim(content_type.substr(0, content_type.find(';')));
}

bool is_index_type(std::string_view t) {
  return t == media::oci_index || t == media::docker_manifest_list;
}
bool is_manifest_type(std::string_view t) {
  return t == media::oci_manifest || t == media::docker_manifest;
}

// Decides manifest vs index: JSON mediaType, then Content-Type, then the document's shape.
std::string document_type(const json& doc, std::string_view content_type) {
  std::string declared = optional_string(doc, "", "mediaType");
  if (!declared.empty()) {
    if (!is_index_type(declared) && !is_manifest_type(declared))
      bad("mediaType", util::cat("unsupported media type ", util::quote(declared)));
    return declared;
  }
  std::string_view header = bare_media_type(content_type);
  if (is_index_type(header) || is_manifest_type(header))
    return std::string(header);
  if (doc.contains("manifests"))
    return std::string(media::oci_index);
  return std::string(media::oci_manifest);
}

void check_schema_version(const json& doc) {
  const json& version = require(doc, "", "schemaVersion");
  if (!version.is_number_integer())
    bad("schemaVersion", util::cat("expected an integer, got ", version.dump()));
  if (version.get<std::int64_t>() != 2)
    bad("schemaVersion",
        util::cat("unsupported schemaVersion ", version.dump(), " (only schema 2 is supported)"));
}

std::variant<Manifest, Index> parse_document(const json& doc, std::string_view content_type) {
  if (!doc.is_object())
    bad("", "expected a JSON object");
  check_schema_version(doc);
  std::string type = document_type(doc, content_type);
  if (is_index_type(type))
    return Index{type, parse_descriptors(doc, "manifests")};
  return Manifest{type, parse_descriptor(require(doc, "", "config"), "config"),
                  parse_descriptors(doc, "layers"), string_map(doc, "", "annotations")};
}

json descriptor_json(const Descriptor& d) {
  json out = {{"mediaType", d.media_type}, {"digest", d.digest.str()}, {"size", d.size}};
  if (!d.urls.empty())
    out["urls"] = d.urls;
  if (!d.annotations.empty())
    out["annotations"] = d.annotations;
  if (d.platform) {
    out["platform"] = {{"os", d.platform->os}, {"architecture", d.platform->architecture}};
    if (!d.platform->variant.empty())
      out["platform"]["variant"] = d.platform->variant;
  }
  return out;
}

// "v7" -> 7; 0 when the variant is not of that form.
int arm_level(std::string_view variant) {
  if (variant.size() != 2 || variant[0] != 'v' || variant[1] < '1' || variant[1] > '9')
    return 0;
  return variant[1] - '0';
}

// How well an index entry fits: exact variant, then no variant, then any accepted variant, then
// an older arm variant (an arm/v7 host also runs arm/v6 and arm/v5 images). 0 = unusable.
int platform_score(const Platform& want, const Platform& candidate) {
  if (want.accepts(candidate)) {
    if (candidate.variant == want.variant)
      return 1000;
    return candidate.variant.empty() ? 900 : 800;
  }
  int level = arm_level(candidate.variant);
  if (candidate.os == want.os && want.architecture == "arm" && candidate.architecture == "arm" &&
      level > 0 && level < arm_level(want.variant))
    return 100 + level;
  return 0;
}

} // namespace

std::variant<Manifest, Index> parse_manifest(std::string_view bytes,
                                             std::string_view content_type) {
  json doc;
  try {
    doc = json::parse(bytes);
  } catch (const json::exception& e) {
    bad("", util::cat("invalid JSON: ", e.what()));
  }
  try {
    return parse_document(doc, content_type);
  } catch (const json::exception& e) {
    bad("", e.what());
  }
}

std::optional<Descriptor> select_platform(const Index& index, const Platform& want) {
  const Descriptor* best = nullptr;
  int best_score = 0;
  for (const auto& entry : index.manifests) {
    int score = entry.platform ? platform_score(want, *entry.platform) : 0;
    if (score > best_score) {
      best = &entry;
      best_score = score;
    }
  }
  if (best == nullptr)
    return std::nullopt;
  return *best;
}

Compression layer_compression(std::string_view media_type) {
  std::string_view t = bare_media_type(media_type);
  if (t == media::oci_layer || t == "application/vnd.oci.image.layer.nondistributable.v1.tar" ||
      t == "application/vnd.docker.image.rootfs.diff.tar")
    return Compression::none;
  if (t == media::oci_layer_gzip || t == media::oci_layer_nondist_gzip ||
      t == media::docker_layer_gzip || t == media::docker_layer_foreign_gzip)
    return Compression::gzip;
  if (t == media::oci_layer_zstd ||
      t == "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd")
    return Compression::zstd;
  throw util::Error(util::cat("unsupported layer media type ", util::quote(media_type)));
}

std::string to_json(const Manifest& manifest) {
  json out;
  out["schemaVersion"] = 2;
  out["mediaType"] =
      manifest.media_type.empty() ? std::string(media::oci_manifest) : manifest.media_type;
  out["config"] = descriptor_json(manifest.config);
  json layers = json::array();
  for (const auto& layer : manifest.layers)
    layers.push_back(descriptor_json(layer));
  out["layers"] = std::move(layers);
  if (!manifest.annotations.empty())
    out["annotations"] = manifest.annotations;
  return out.dump();
}

} // namespace image
