// The copy driver's changes: it keeps no upper dir, so its rootfs is compared with the merged
// view of the image's layers (type, mode, owner, size, modification time, link target), as
// Docker's vfs driver does. Directories count as changed when their mode or owner differ or
// something inside them changed.
#pragma once

#include "runtime/container_changes.hpp"

#include <filesystem>
#include <vector>

namespace storage {
class TarWriter;
}

namespace runtime {

// The changes of `rootfs` against `layers` (overlay form, top first), parents before children.
std::vector<Change> rootfs_changes(const std::filesystem::path& rootfs,
                                   const std::vector<std::filesystem::path>& layers);

// Writes `changes` as a layer: added and changed entries as they are in `rootfs`, deletions as
// ".wh." entries.
void write_changes_layer(const std::filesystem::path& rootfs, const std::vector<Change>& changes,
                         storage::TarWriter& tar);

} // namespace runtime
