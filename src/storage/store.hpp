// Store: the storage root and its sub-stores.
//
//   <root>/blobs/sha256/<hex>   <root>/layers/<hex>/   <root>/l/<short>   <root>/images.json
//   <root>/containers/<id>/     <root>/tmp/            <root>/meta.lock   <root>/driver.json
//
// Concurrency: blob and layer writes go through tmp/ and rename, so readers never see partial
// content. Metadata read-modify-write (images.json, names) happens under meta.lock (flock,
// exclusive, held briefly: see MetaLock). Layers are protected from removal by leases.
#pragma once

#include "storage/blob_store.hpp"
#include "storage/container_store.hpp"
#include "storage/image_index.hpp"
#include "storage/layer_store.hpp"
#include "util/file_lock.hpp"

#include <filesystem>

namespace storage {

// An opened storage root.
class Store {
public:
  // Creates the directory skeleton if needed (mode 0700 root dir) and cleans stale entries in
  // tmp/ left by killed invocations (those whose owner lock is gone).
  explicit Store(std::filesystem::path root);

  const std::filesystem::path& root() const noexcept { return m_root; }
  std::filesystem::path tmp_dir() const { return m_root / "tmp"; }

  const BlobStore& blobs() const noexcept { return m_blobs; }
  const LayerStore& layers() const noexcept { return m_layers; }
  ImageIndex& images() noexcept { return m_images; }
  const ImageIndex& images() const noexcept { return m_images; }
  ContainerStore& containers() noexcept { return m_containers; }
  const ContainerStore& containers() const noexcept { return m_containers; }

  // Exclusive metadata lock for a read-modify-write of images.json or container records.
  util::FileLock lock_metadata() const;

private:
  std::filesystem::path m_root;
  BlobStore m_blobs;
  LayerStore m_layers;
  ImageIndex m_images;
  ContainerStore m_containers;
};

} // namespace storage
