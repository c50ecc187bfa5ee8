// The content side of volumes at a container's start: filling an empty volume from the image
// (Docker copies the image's files at the mount point into a new volume) and :U (chown the
// mount's source to the container user). Both run in cove's user namespace, so owners are the
// container's ids.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string_view>

namespace runtime {

// True if `dir` has no entries.
bool dir_is_empty(const std::filesystem::path& dir);

// Copies the directory `path` of the rootfs (resolved confined to it) into the empty directory
// `volume`: files, directories, symlinks and fifos with their modes, owners and times, and the
// directory's own mode and owner onto `volume`. Nothing happens when `path` is missing or not a
// directory. Owners that cannot be set (ids outside a single-id mapping) are left as they are.
// Throws util::Error naming the path that failed.
void copy_into_volume(const std::filesystem::path& rootfs, std::string_view path,
                      const std::filesystem::path& volume);

// chown -R of `path` (symlinks themselves, never followed) to uid:gid.
void chown_tree(const std::filesystem::path& path, uid_t uid, gid_t gid);

} // namespace runtime
