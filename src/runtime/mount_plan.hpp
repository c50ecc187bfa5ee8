// MountPlan: the ordered list of mount operations that turns a rootfs directory into the
// container's filesystem. Built purely in the parent (unit-tested), applied by the child.
#pragma once

#include "runtime/spec.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace runtime {

enum class MountKind {
  rootfs,    // bind `source` (the rootfs on the host) onto itself, recursively: pivot_root needs a mount point
  mount,     // mount a filesystem: mount(source, target, fstype, flags, data)
  bind,      // bind the host path `source` onto `target`
  read_only, // make the mount at `target` read-only (recursively if `recursive`), keeping its other flags
  symlink,   // create `target` as a symlink to `source`
};

// What to create at `target` (inside the rootfs) before mounting on it.
enum class MountPoint { none, dir, file, like_source };

struct MountOp {
  MountKind kind = MountKind::mount;
  std::string source;
  std::string target; // absolute path inside the container, resolved under the rootfs
  std::string fstype;
  unsigned long flags = 0;
  std::string data;
  // Retried with these options when the kernel rejects `data` with EINVAL, e.g. devpts "gid=5"
  // when gid 5 is not mapped in a single-id user namespace.
  std::string fallback_data;
  MountPoint create = MountPoint::none;
  bool recursive = false;
  friend bool operator==(const MountOp&, const MountOp&) = default;
};

struct MountPlan {
  std::vector<MountOp> ops;
};

// Host-side facts the plan needs besides the spec.
struct MountInputs {
  std::filesystem::path rootfs;   // the directory that becomes "/"
  std::filesystem::path etc_dir;  // holds the generated hosts, hostname and resolv.conf
  std::string console;            // pty slave path bound on /dev/console with -t, else ""
};

// The order: rootfs self-bind, /proc, /dev (tmpfs with host device binds, devpts, ptmx and fd
// links, shm, mqueue), /sys (read-only sysfs with a private network namespace, else a recursive
// read-only bind of the host's /sys, since sysfs cannot be mounted without owning the netns),
// /dev/console, /etc/{hosts,hostname,resolv.conf}, the spec's mounts (binds, volumes, tmpfs),
// then the read-only rootfs remount.
MountPlan make_mount_plan(const ContainerSpec& spec, const MountInputs& inputs);

} // namespace runtime
