#include "runtime/mount_plan.hpp"

#include "runtime/tmpfs_options.hpp"

#include <sys/mount.h>

namespace runtime {

namespace {

// Size limit of the /dev and /dev/shm tmpfs, as Docker uses.
constexpr const char* tmpfs_size = "size=65536k";

// Host device nodes a container gets: mknod is impossible in a user namespace, so bind them.
constexpr const char* devices[] = {"null", "zero", "full", "random", "urandom", "tty"};

MountOp fs_mount(std::string fstype, std::string target, unsigned long flags, std::string data) {
  MountOp op;
  op.kind = MountKind::mount;
  op.source = fstype;
  op.fstype = std::move(fstype);
  op.target = std::move(target);
  op.flags = flags;
  op.data = std::move(data);
  op.create = MountPoint::dir;
  return op;
}

MountOp bind_op(std::string source, std::string target, MountPoint create, bool recursive) {
  MountOp op;
  op.kind = MountKind::bind;
  op.source = std::move(source);
  op.target = std::move(target);
  op.flags = MS_BIND | (recursive ? MS_REC : 0);
  op.create = create;
  op.recursive = recursive;
  return op;
}

MountOp read_only_op(std::string target, bool recursive) {
  MountOp op;
  op.kind = MountKind::read_only;
  op.target = std::move(target);
  op.recursive = recursive;
  return op;
}

MountOp symlink_op(std::string link_target, std::string path) {
  MountOp op;
  op.kind = MountKind::symlink;
  op.source = std::move(link_target);
  op.target = std::move(path);
  return op;
}

void add_dev(std::vector<MountOp>& ops, const MountInputs& inputs) {
  ops.push_back(fs_mount("tmpfs", "/dev", MS_NOSUID | MS_STRICTATIME,
                         std::string("mode=755,") + tmpfs_size));
  for (const char* device : devices)
    ops.push_back(bind_op(std::string("/dev/") + device, std::string("/dev/") + device,
                       MountPoint::file, false));
  MountOp pts = fs_mount("devpts", "/dev/pts", MS_NOSUID | MS_NOEXEC,
                         "newinstance,ptmxmode=0666,mode=0620,gid=5");
  pts.fallback_data = "newinstance,ptmxmode=0666,mode=0620";
  ops.push_back(std::move(pts));
  ops.push_back(symlink_op("pts/ptmx", "/dev/ptmx"));
  ops.push_back(symlink_op("/proc/self/fd", "/dev/fd"));
  ops.push_back(symlink_op("/proc/self/fd/0", "/dev/stdin"));
  ops.push_back(symlink_op("/proc/self/fd/1", "/dev/stdout"));
  ops.push_back(symlink_op("/proc/self/fd/2", "/dev/stderr"));
  ops.push_back(fs_mount("tmpfs", "/dev/shm", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                         std::string("mode=1777,") + tmpfs_size));
  ops.push_back(fs_mount("mqueue", "/dev/mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, ""));
  if (!inputs.console.empty())
    ops.push_back(bind_op(inputs.console, "/dev/console", MountPoint::file, false));
}

void add_sys(std::vector<MountOp>& ops, const ContainerSpec& spec) {
  // sysfs can only be mounted by the owner of the network namespace: every mode but host.
  if (spec.network != "host") {
    ops.push_back(fs_mount("sysfs", "/sys", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, ""));
    return;
  }
  ops.push_back(bind_op("/sys", "/sys", MountPoint::dir, true));
  ops.push_back(read_only_op("/sys", true));
}

// A -v, --mount, --tmpfs or image VOLUME mount.
void add_container_mount(std::vector<MountOp>& ops, const Mount& mount) {
  if (mount.type == MountType::tmpfs) {
    TmpfsOptions tmpfs = parse_tmpfs_options(mount.options);
    ops.push_back(fs_mount("tmpfs", mount.destination,
                           tmpfs.flags | (mount.read_only ? MS_RDONLY : 0), tmpfs.data));
    return;
  }
  if (mount.type == MountType::volume)
    ops.push_back(bind_op(mount.host_path, mount.destination, MountPoint::dir, true));
  else
    ops.push_back(bind_op(mount.source, mount.destination, MountPoint::like_source, true));
  if (mount.read_only)
    ops.push_back(read_only_op(mount.destination, true));
}

} // namespace

MountPlan make_mount_plan(const ContainerSpec& spec, const MountInputs& inputs) {
  MountPlan plan;
  auto& ops = plan.ops;
  MountOp root;
  root.kind = MountKind::rootfs;
  root.source = inputs.rootfs.string();
  root.target = "/";
  root.flags = MS_BIND | MS_REC;
  root.recursive = true;
  ops.push_back(std::move(root));

  ops.push_back(fs_mount("proc", "/proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, ""));
  add_dev(ops, inputs);
  add_sys(ops, spec);
  for (const char* name : {"hosts", "hostname", "resolv.conf"})
    ops.push_back(bind_op((inputs.etc_dir / name).string(), std::string("/etc/") + name,
                       MountPoint::file, false));
  for (const Mount& mount : spec.mounts)
    add_container_mount(ops, mount);
  // Only the rootfs mount itself: /dev, /proc, /sys, /dev/shm, the etc files and volumes keep
  // their own modes, as with Docker's --read-only.
  if (spec.read_only)
    ops.push_back(read_only_op("/", false));
  return plan;
}

} // namespace runtime
