// Path resolution confined to a container rootfs with openat2(RESOLVE_IN_ROOT): absolute
// symlinks and ".." in an image resolve inside the rootfs, never onto the host.
// The noexcept helpers return -errno and never allocate, so the post-clone child can use them.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace runtime {

// openat2(rootfd, path, flags|O_CLOEXEC, RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS): fd or -errno.
int open_in_root(int rootfd, const char* path, int flags, mode_t mode = 0) noexcept;

// mkdir -p of `path` inside the root (each component confined); 0 or -errno.
int make_dirs_in_root(int rootfd, const char* path, mode_t mode) noexcept;

// Creates an empty regular file at `path` (and its parents) unless something exists there
// (a symlink is followed, confined). 0 or -errno.
int make_file_in_root(int rootfd, const char* path) noexcept;

// Opens the parent directory of `path` inside the root and points *name at the last component
// within `path`. fd or -errno. `path` must not end with '/'.
int open_parent_in_root(int rootfd, const char* path, const char** name) noexcept;

// Reads a file of the rootfs, confined; nullopt if it does not exist. Throws util::SystemError
// for other failures, naming the path.
std::optional<std::string> read_file_in_root(const std::filesystem::path& rootfs,
                                             std::string_view path);

} // namespace runtime
