#include "storage/oci_layout.hpp"

#include "image/media_types.hpp"
#include "image/reference.hpp"
#include "storage/store.hpp"
#include "storage/tar_writer.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/stat.h>

#include <optional>
#include <set>

namespace storage {
namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

constexpr std::string_view layout_file = R"({"imageLayoutVersion":"1.0.0"})";

// The blobs one image is made of, with its manifest's descriptor for index.json.
struct ImageBlobs {
  ordered_json descriptor;        // the manifest: mediaType, digest, size, annotations
  std::optional<image::Digest> config;
  std::vector<image::Digest> layers;
  std::vector<image::Digest> all; // manifest, config, layers
};

ImageBlobs blobs_of(const Store& store, const SavedImage& saved) {
  const auto& digest = saved.record.manifest_digest;
  auto text = store.blobs().read(digest);
  auto manifest = nlohmann::json::parse(text);
  ImageBlobs out;
  out.descriptor["mediaType"] = manifest.value("mediaType", std::string(image::media::oci_manifest));
  out.descriptor["digest"] = digest.str();
  out.descriptor["size"] = text.size();
  if (!saved.name.empty()) {
    auto ref = image::ImageRef::parse(saved.name);
    out.descriptor["annotations"] = {{"io.containerd.image.name", ref.str()},
                                     {"org.opencontainers.image.ref.name", ref.tag()}};
  }
  out.config = image::Digest::parse(manifest.at("config").at("digest").get<std::string>());
  out.all = {digest, *out.config};
  for (const auto& layer : manifest.at("layers")) {
    out.layers.push_back(image::Digest::parse(layer.at("digest").get<std::string>()));
    out.all.push_back(out.layers.back());
  }
  for (const auto& blob : out.all)
    if (!store.blobs().has(blob))
      throw util::Error(util::cat("save ", saved.name.empty() ? saved.record.id.str() : saved.name, ": blob ",
                                  blob.str(), " is not in local storage"));
  return out;
}

std::string blob_path(const image::Digest& digest) { return util::cat("blobs/", digest.algorithm(), "/", digest.hex()); }

ordered_json index_of(const std::vector<ImageBlobs>& images, ordered_json index) {
  if (index.is_null())
    index = {{"schemaVersion", 2}, {"mediaType", image::media::oci_index}, {"manifests", ordered_json::array()}};
  for (const auto& img : images)
    index["manifests"].push_back(img.descriptor);
  return index;
}

} // namespace

void write_oci_layout(const Store& store, const std::vector<SavedImage>& images, const fs::path& dir) {
  std::vector<ImageBlobs> all;
  for (const auto& img : images)
    all.push_back(blobs_of(store, img));
  util::make_dirs(dir / "blobs" / "sha256", 0755);
  for (const auto& img : all)
    for (const auto& blob : img.all) {
      auto to = dir / blob_path(blob);
      std::error_code ec;
      if (fs::exists(to, ec))
        continue; // blobs are content-addressed: an existing one is the same bytes
      fs::copy_file(store.blobs().path(blob), to, ec);
      if (ec)
        throw util::Error(util::cat("copy blob ", blob.str(), " to ", util::quote(to.string()), ": ", ec.message()));
    }
  ordered_json existing;
  if (auto text = util::read_file_if_exists(dir / "index.json"))
    existing = ordered_json::parse(*text);
  util::write_file_atomic(dir / "oci-layout", layout_file, 0644);
  util::write_file_atomic(dir / "index.json", index_of(all, existing).dump(), 0644);
}

void write_image_archive(const Store& store, const std::vector<SavedImage>& images, int fd) {
  std::vector<ImageBlobs> all;
  for (const auto& img : images)
    all.push_back(blobs_of(store, img));
  TarWriter tar(TarWriter::Stream{fd});
  EntryMeta dir_meta{0, 0, 0755, 0};
  EntryMeta file_meta{0, 0, 0644, 0};
  tar.add_dir("blobs", dir_meta);
  tar.add_dir("blobs/sha256", dir_meta);
  std::set<std::string> written;
  ordered_json docker = ordered_json::array();
  for (std::size_t i = 0; i < all.size(); ++i) {
    for (const auto& blob : all[i].all) {
      if (!written.insert(blob.str()).second)
        continue;
      auto path = store.blobs().path(blob);
      util::UniqueFd in(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
      struct stat st {};
      if (!in || ::fstat(in.get(), &st) < 0)
        util::throw_errno(util::cat("open ", util::quote(path.string())));
      tar.add_file(blob_path(blob), in.get(), st.st_size, file_meta);
    }
    ordered_json entry{{"Config", blob_path(*all[i].config)}, {"RepoTags", ordered_json::array()},
                       {"Layers", ordered_json::array()}};
    if (!images[i].name.empty()) {
      auto ref = image::ImageRef::parse(images[i].name);
      entry["RepoTags"].push_back(util::cat(ref.name(), ":", ref.tag()));
    }
    for (const auto& layer : all[i].layers)
      entry["Layers"].push_back(blob_path(layer));
    docker.push_back(entry);
  }
  tar.add_bytes("oci-layout", layout_file, file_meta);
  tar.add_bytes("index.json", index_of(all, nullptr).dump(), file_meta);
  tar.add_bytes("manifest.json", docker.dump(), file_meta);
  tar.close();
}

} // namespace storage
