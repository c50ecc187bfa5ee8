#include "runtime/mount_apply.hpp"

#include "runtime/confined.hpp"
#include "runtime/sync_channel.hpp"
#include "util/fixed_text.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace runtime {

namespace {

// "/proc/self/fd/<fd>" into buf.
const char* fd_path(char (&buf)[32], int fd) noexcept {
  util::append_decimal(buf, util::append_text(buf, 0, sizeof buf, "/proc/self/fd/"), sizeof buf,
                       static_cast<unsigned long>(fd));
  return buf;
}

int create_mount_point(int rootfd, const MountOp& op) noexcept {
  MountPoint kind = op.create;
  if (kind == MountPoint::like_source) {
    struct stat st;
    if (::stat(op.source.c_str(), &st) < 0)
      return -errno;
    kind = S_ISDIR(st.st_mode) ? MountPoint::dir : MountPoint::file;
  }
  if (kind == MountPoint::dir)
    return make_dirs_in_root(rootfd, op.target.c_str(), 0755);
  if (kind == MountPoint::file)
    return make_file_in_root(rootfd, op.target.c_str());
  return 0;
}

int set_read_only(int fd, bool recursive) noexcept {
  mount_attr attr{};
  attr.attr_set = MOUNT_ATTR_RDONLY;
  unsigned flags = AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0);
  return ::mount_setattr(fd, "", flags, &attr, sizeof attr) < 0 ? -errno : 0;
}

int make_symlink(int rootfd, const MountOp& op) noexcept {
  const char* name = nullptr;
  int parent = open_parent_in_root(rootfd, op.target.c_str(), &name);
  if (parent < 0)
    return parent;
  int rc = ::symlinkat(op.source.c_str(), parent, name);
  int err = errno;
  ::close(parent);
  return rc < 0 && err != EEXIST ? -err : 0;
}

// Mounts onto the already-opened target.
int mount_on(int target_fd, const MountOp& op) noexcept {
  char path[32];
  fd_path(path, target_fd);
  const char* fstype = op.fstype.empty() ? nullptr : op.fstype.c_str();
  const char* data = op.data.empty() ? nullptr : op.data.c_str();
  if (::mount(op.source.c_str(), path, fstype, op.flags, data) == 0)
    return 0;
  if (errno == EINVAL && !op.fallback_data.empty() &&
      ::mount(op.source.c_str(), path, fstype, op.flags, op.fallback_data.c_str()) == 0)
    return 0;
  return -errno;
}

// Applies one op below the rootfs; returns 0 or -errno.
int apply_op(int rootfd, const MountOp& op) noexcept {
  if (op.kind == MountKind::symlink)
    return make_symlink(rootfd, op);
  if (int rc = create_mount_point(rootfd, op); rc < 0)
    return rc;
  int target = open_in_root(rootfd, op.target.c_str(), O_PATH);
  if (target < 0)
    return target;
  int rc = op.kind == MountKind::read_only ? set_read_only(target, op.recursive) : mount_on(target, op);
  ::close(target);
  return rc;
}

void report(int sync_fd, int err, const MountOp& op) noexcept {
  const char* what = "mount";
  if (op.kind == MountKind::symlink)
    what = "symlink";
  else if (op.kind == MountKind::read_only)
    what = "make read-only";
  else if (op.kind == MountKind::bind || op.kind == MountKind::rootfs)
    what = "bind mount";
  char prefix[160];
  std::strcpy(prefix, what);
  if (!op.source.empty()) {
    std::strcat(prefix, " ");
    std::strncat(prefix, op.source.c_str(), 100);
    std::strcat(prefix, " on");
  }
  child_report_path(sync_fd, err, ChildStage::mount, prefix, op.target.c_str());
}

} // namespace

bool apply_mount_plan(const MountPlan& plan, int sync_fd) noexcept {
  // Our mounts must never propagate back to cove's namespace (or the host's, as real root).
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0) {
    child_report(sync_fd, errno, ChildStage::mount, "make \"/\" private");
    return false;
  }
  int rootfd = -1;
  for (const MountOp& op : plan.ops) {
    int rc = 0;
    if (op.kind == MountKind::rootfs) {
      if (::mount(op.source.c_str(), op.source.c_str(), nullptr, op.flags, nullptr) < 0)
        rc = -errno;
      // Opened after the self-bind so later mounts land on the bind, which becomes "/".
      else if ((rootfd = ::open(op.source.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
        rc = -errno;
    } else if (rootfd < 0) {
      rc = -EBADF;
    } else {
      rc = apply_op(rootfd, op);
    }
    if (rc < 0) {
      report(sync_fd, -rc, op);
      return false;
    }
  }
  if (rootfd >= 0)
    ::close(rootfd);
  return true;
}

} // namespace runtime
