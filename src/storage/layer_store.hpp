// LayerStore: unpacked layers in overlay form, keyed by diff-id (sha256 of the uncompressed tar).
//
//   layers/<diff-hex>/diff/   the tree (whiteouts as 0/0 char devices, opaque dirs as
//                             user.overlay.opaque=y, or trusted.overlay.opaque when running as
//                             real root)
//   layers/<diff-hex>/link    short id naming l/<id> -> ../layers/<diff-hex>/diff, keeping overlay
//                             mount data under a page for deep images
//   layers/<diff-hex>.lock    flock: exclusive while unpacking, shared while a pull or run relies on it
//
// A layer directory exists only once complete (unpacked into tmp/, diff-id verified, renamed).
#pragma once

#include "image/digest.hpp"
#include "image/manifest.hpp"
#include "util/file_lock.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace storage {

// A shared lock on one layer: while held, garbage collection will not remove the layer.
using LayerLease = util::FileLock;

class LayerStore {
public:
  explicit LayerStore(std::filesystem::path storage_root);

  // layers/<hex>/diff
  std::filesystem::path diff_dir(const image::Digest& diff_id) const;
  // "l/<short id>" relative to the storage root, for overlay lowerdir strings.
  std::string short_path(const image::Digest& diff_id) const;
  bool has(const image::Digest& diff_id) const;

  // Shared lease on an existing layer (for runs and pulls until the image is recorded).
  LayerLease lease(const image::Digest& diff_id) const;

  // Makes sure the layer exists, unpacking `blob` (compressed as `compression`) if needed.
  // Concurrent callers for the same layer wait for the first; returns a shared lease.
  LayerLease ensure_from_blob(const image::Digest& diff_id, const std::filesystem::path& blob,
                              image::Compression compression) const;

  // Removes a layer unless another process holds a lease on it; returns whether removed.
  bool remove_if_unused(const image::Digest& diff_id) const;
  // All stored layers.
  std::vector<image::Digest> list() const;
  // Bytes used on disk by the unpacked tree (apparent size).
  std::uint64_t disk_size(const image::Digest& diff_id) const;

  const std::filesystem::path& root() const noexcept { return m_root; }

private:
  std::filesystem::path m_root;
};

} // namespace storage
