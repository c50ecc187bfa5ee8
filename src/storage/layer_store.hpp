// LayerStore: unpacked layers in overlay form, keyed by diff-id (sha256 of the uncompressed tar).
//
//   layers/<diff-hex>/diff/   the tree (whiteouts as 0/0 char devices, opaque dirs as
//                             user.overlay.opaque=y and user.fuseoverlayfs.opaque=y, plus
//                             trusted.overlay.opaque when unpacked by real root)
//   layers/<diff-hex>/link    short id naming l/<id> -> ../layers/<diff-hex>/diff, keeping overlay
//                             mount data under a page for deep images (the id is the first 20
//                             hex digits of the diff-id, so it can be computed without a read)
//   layers/<diff-hex>.lock    flock: shared while a pull or run relies on the layer, exclusive
//                             (non-blocking) while removing it. Lock files are never deleted, so
//                             two processes can never lock different inodes for one layer.
//
// A layer directory exists only once complete (unpacked into tmp/, diff-id verified, renamed).
// Concurrent unpacks of one layer both run; the first rename wins and the others use its copy.
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

// The unpacked layers of one store.
class LayerStore {
public:
  // `storage_root` is the store root (layers/, l/ and tmp/ live below it).
  explicit LayerStore(std::filesystem::path storage_root);

  // layers/<hex>/diff
  std::filesystem::path diff_dir(const image::Digest& diff_id) const;
  // "l/<short id>" relative to the storage root, for overlay lowerdir strings.
  std::string short_path(const image::Digest& diff_id) const;
  // True when the layer is installed.
  bool has(const image::Digest& diff_id) const;

  // Shared lease on an existing layer (for runs and pulls until the image is recorded).
  // Throws util::Error("layer sha256:..: not in the store") when it is missing.
  LayerLease lease(const image::Digest& diff_id) const;

  // Makes sure the layer exists, unpacking `blob` (compressed as `compression`) if needed and
  // verifying the diff-id. Returns a shared lease.
  LayerLease ensure_from_blob(const image::Digest& diff_id, const std::filesystem::path& blob,
                              image::Compression compression) const;

  // Removes a layer unless another process holds a lease on it; returns whether removed.
  bool remove_if_unused(const image::Digest& diff_id) const;
  // All stored layers.
  std::vector<image::Digest> list() const;
  // Bytes used on disk by the unpacked tree (apparent size): measured once, then kept in the
  // layer's directory.
  std::uint64_t disk_size(const image::Digest& diff_id) const;


  // The storage root.
  const std::filesystem::path& root() const noexcept { return m_root; }

  // For the unpack pipeline: layers/<hex>, the short id, the lease whether or not the layer
  // exists yet, and the l/<id> symlink of an installed layer.
  std::filesystem::path layer_dir(const image::Digest& diff_id) const;
  std::string short_id(const image::Digest& diff_id) const;
  LayerLease lease_unchecked(const image::Digest& diff_id) const;
  void create_short_link(const image::Digest& diff_id) const;

private:
  // disk_size() without the kept result: a walk of the layer.
  std::uint64_t measure(const image::Digest& diff_id) const;
  std::filesystem::path m_root;
};

} // namespace storage
