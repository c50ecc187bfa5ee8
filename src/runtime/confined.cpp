#include "runtime/confined.hpp"

#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/strings.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace runtime {

int open_in_root(int rootfd, const char* path, int flags, mode_t mode) noexcept {
  open_how how{};
  how.flags = static_cast<unsigned long long>(flags | O_CLOEXEC);
  how.mode = (flags & O_CREAT) != 0 ? mode : 0;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  long fd;
  do {
    fd = ::syscall(SYS_openat2, rootfd, path, &how, sizeof how);
  } while (fd < 0 && (errno == EINTR || errno == EAGAIN));
  return fd < 0 ? -errno : static_cast<int>(fd);
}

int open_parent_in_root(int rootfd, const char* path, const char** name) noexcept {
  char parent[PATH_MAX];
  size_t len = std::strlen(path);
  if (len == 0 || len >= sizeof parent)
    return -ENAMETOOLONG;
  std::memcpy(parent, path, len + 1);
  char* slash = std::strrchr(parent, '/');
  if (slash == nullptr) {
    *name = path;
    return open_in_root(rootfd, ".", O_PATH | O_DIRECTORY);
  }
  *name = path + (slash - parent) + 1;
  if (slash == parent)
    slash[1] = '\0';
  else
    slash[0] = '\0';
  return open_in_root(rootfd, parent, O_PATH | O_DIRECTORY);
}

int make_dirs_in_root(int rootfd, const char* path, mode_t mode) noexcept {
  char prefix[PATH_MAX];
  size_t len = std::strlen(path);
  if (len >= sizeof prefix)
    return -ENAMETOOLONG;
  // Walk each component: mkdirat never follows a final symlink, and opening the next parent
  // resolves any symlink confined to the root.
  for (size_t end = 1; end <= len; ++end) {
    if (end != len && path[end] != '/')
      continue;
    std::memcpy(prefix, path, end);
    prefix[end] = '\0';
    int fd = open_in_root(rootfd, prefix, O_PATH | O_DIRECTORY);
    if (fd >= 0) {
      ::close(fd);
      continue;
    }
    if (fd != -ENOENT)
      return fd;
    const char* name = nullptr;
    int parent = open_parent_in_root(rootfd, prefix, &name);
    if (parent < 0)
      return parent;
    int rc = ::mkdirat(parent, name, mode);
    int err = errno;
    ::close(parent);
    if (rc < 0 && err != EEXIST)
      return -err;
  }
  return 0;
}

int make_file_in_root(int rootfd, const char* path) noexcept {
  int fd = open_in_root(rootfd, path, O_PATH);
  if (fd >= 0) {
    ::close(fd);
    return 0;
  }
  if (fd != -ENOENT)
    return fd;
  const char* name = nullptr;
  int parent = open_parent_in_root(rootfd, path, &name);
  if (parent == -ENOENT) {
    char dir[PATH_MAX];
    size_t dir_len = static_cast<size_t>(std::strrchr(path, '/') - path);
    std::memcpy(dir, path, dir_len);
    dir[dir_len] = '\0';
    if (int rc = make_dirs_in_root(rootfd, dir, 0755); rc < 0)
      return rc;
    parent = open_parent_in_root(rootfd, path, &name);
  }
  if (parent < 0)
    return parent;
  int rc = ::openat(parent, name, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
  int err = errno;
  ::close(parent);
  if (rc < 0)
    return -err;
  ::close(rc);
  return 0;
}

std::optional<std::string> read_file_in_root(const std::filesystem::path& rootfs,
                                             std::string_view path) {
  util::UniqueFd root(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root)
    util::throw_errno(util::cat("open ", util::quote(rootfs.string())));
  std::string relative(path);
  int fd = open_in_root(root.get(), relative.c_str(), O_RDONLY);
  if (fd == -ENOENT)
    return std::nullopt;
  if (fd < 0)
    util::throw_errno(-fd, util::cat("open ", util::quote(relative), " in the container rootfs"));
  util::UniqueFd file(fd);
  std::string text;
  char buffer[8192];
  for (;;) {
    ssize_t n = ::read(file.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      util::throw_errno(util::cat("read ", util::quote(relative), " in the container rootfs"));
    if (n == 0)
      break;
    text.append(buffer, static_cast<size_t>(n));
  }
  return text;
}

} // namespace runtime
