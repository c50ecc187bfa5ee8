// Writing local images out of the store in the formats other tools read: an OCI image layout
// directory (oci-layout, index.json, blobs/sha256/), and a tar archive that `docker load`,
// `podman load` and skopeo's docker-archive: and oci-archive: transports all accept (the OCI
// layout plus Docker's manifest.json, as `docker save` writes since Docker 25).
#pragma once
#include "storage/image_index.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace storage {

class Store;

// One image to write and the name it is saved under ("docker.io/library/app:1"; empty: none).
struct SavedImage {
  ImageRecord record;
  std::string name;
};

// Writes `images` as an OCI image layout in `dir` (created when missing; an existing layout there
// gets the images added to its index). Blobs are copied from the store.
void write_oci_layout(const Store& store, const std::vector<SavedImage>& images, const std::filesystem::path& dir);

// Streams `images` as one tar onto `fd`: the OCI layout and a Docker manifest.json.
void write_image_archive(const Store& store, const std::vector<SavedImage>& images, int fd);

} // namespace storage
