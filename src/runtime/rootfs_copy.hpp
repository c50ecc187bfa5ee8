// The copy rootfs driver: the image's layers applied onto a plain directory, for hosts where
// neither native overlayfs nor fuse-overlayfs can be mounted.
#pragma once

#include "image/digest.hpp"

#include <filesystem>
#include <vector>

namespace storage {
class Store;
}

namespace runtime {

// Fills <container_dir>/rootfs from `layers` (diff-ids, bottom first) on the first start and
// returns it; later starts reuse it. Whiteouts and opaque directories in the store's overlay form
// are interpreted; owners, modes, xattrs (not overlay's), links and times are kept.
std::filesystem::path prepare_copy(const storage::Store& store,
                                   const std::vector<image::Digest>& layers,
                                   const std::filesystem::path& container_dir);

} // namespace runtime
