// Container root filesystems: native overlayfs, fuse-overlayfs, or a plain copy.
#pragma once

#include "image/digest.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace storage {
class Store;
}

namespace runtime {

enum class RootfsDriver { overlay, fuse_overlayfs, copy };

// "overlay", "fuse-overlayfs", "copy".
std::string_view to_string(RootfsDriver driver);
// Accepts the names above plus "vfs" as an alias of copy; throws util::Error otherwise.
RootfsDriver parse_driver(std::string_view text);

struct DriverChoice {
  RootfsDriver driver;
  std::string reason;    // why, for `cove info` and the debug log
  bool userxattr = false; // overlay: mount with "userxattr" (needed inside a user namespace)
};

// Picks the driver: `override` if given (from --storage-driver or COVE_STORAGE_DRIVER), else the
// cached probe in <root>/driver.json, else probes (a real test mount in the store's tmp/:
// overlay with userxattr, then fuse-overlayfs if the binary exists and /dev/fuse opens, else copy)
// and caches the result. Must run inside cove's user namespace. Logs the decision at debug level.
DriverChoice choose_driver(const storage::Store& store, std::optional<RootfsDriver> override);

enum class Access { read_write, read_only };

// Whether the container's writable layer must survive a crash. A transient (--rm) container's
// upper dir is thrown away anyway, so overlay is mounted "volatile" (and fuse-overlayfs with
// fsync=0): no sync of the whole upper filesystem at unmount, which otherwise dominates the cost
// of a short-lived container.
enum class Lifetime { persistent, transient };

// A path escaped for overlay (and fuse-overlayfs) mount data, where ',' separates options and
// ':' separates lower layers: both, and '\\', get a backslash.
std::string escape_overlay_path(std::string_view path);
// "lowerdir=TOP:...:BOTTOM[,upperdir=U,workdir=W][,userxattr]"; `lowers` are given top first,
// `upper` and `work` are left out when empty (a read-only stack).
std::string overlay_mount_data(const std::vector<std::string>& lowers, const std::string& upper,
                               const std::string& work, bool userxattr,
                               Lifetime lifetime = Lifetime::persistent);

// A mounted (or copied) root filesystem for one container. The destructor unmounts (umount2
// MNT_DETACH; for fuse-overlayfs falling back to fusermount3 -u -z) and logs failures; it never
// throws. The copy driver mounts nothing unless read-only (a read-only bind of rootfs/).
class MountedRootfs {
public:
  // Mounts `layers` (diff-ids, bottom first) for the container whose directory is
  // `container_dir` (uses upper/, work/, merged/ there; the copy driver fills rootfs/ once and
  // reuses it on later starts). Throws util::Error naming the driver and the mount on failure.
  static MountedRootfs mount(const storage::Store& store, const DriverChoice& choice,
                             const std::vector<image::Digest>& layers,
                             const std::filesystem::path& container_dir, Access access,
                             Lifetime lifetime = Lifetime::persistent);

  MountedRootfs(MountedRootfs&& other) noexcept;
  MountedRootfs& operator=(MountedRootfs&&) = delete;
  MountedRootfs(const MountedRootfs&) = delete;
  MountedRootfs& operator=(const MountedRootfs&) = delete;
  ~MountedRootfs();

  // The directory that becomes the container's "/".
  const std::filesystem::path& path() const noexcept { return m_path; }
  RootfsDriver driver() const noexcept { return m_driver; }
  // Leaves the rootfs mounted (a process that owns the mount namespace keeps it).
  void release() noexcept { m_active = false; }

private:
  MountedRootfs(std::filesystem::path path, RootfsDriver driver, bool mounted)
      : m_path(std::move(path)), m_driver(driver), m_active(mounted) {}
  std::filesystem::path m_path;
  RootfsDriver m_driver;
  bool m_active = true; // something is mounted on m_path that the destructor must undo
};

} // namespace runtime
