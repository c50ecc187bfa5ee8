// Confined extraction of one layer tar into a directory, in overlay form. libarchive only parses
// the tar stream; every write is ours, through LayerDir, so no entry can reach outside the layer
// whatever the archive contains (absolute names, "..", symlinks or hardlinks pointing out).
#pragma once

#include "storage/chunk_source.hpp"

#include <cstdint>
#include <filesystem>

namespace storage {

// What an unpack did besides writing files.
struct UnpackStats {
  std::uint64_t entries = 0;
  // chown to ids other than ours failed with EINVAL (a single-id user namespace): files were
  // left owned by the unpacking user, as rootless podman does with one mapped id.
  bool ownership_squashed = false;
  // Device nodes were skipped because mknod is not permitted (inside a user namespace).
  bool devices_skipped = false;
};

// Extracts the tar read from `source` into the existing directory `dest`, stopping at the tar's
// end marker (the caller drains what follows). Whiteouts become 0/0 char devices, opaque markers
// become user.overlay.opaque / user.fuseoverlayfs.opaque xattrs. Throws util::Error naming the
// entry ("entry \"../../etc/passwd\": path escapes the layer").
UnpackStats unpack_tar(ChunkSource& source, const std::filesystem::path& dest);

} // namespace storage
