// Mount: one filesystem a container gets besides its rootfs, as -v, --mount, --tmpfs or the
// image's VOLUME asked for it. Parsed at the edge (cli/mount_args), resolved when the container
// is created (volumes get their host directory), planned by make_mount_plan.
#pragma once

#include <string>

namespace runtime {

// Where a mount's content comes from.
enum class MountType { bind, volume, tmpfs };

// "bind", "volume", "tmpfs".
const char* to_string(MountType type) noexcept;

struct Mount {
  std::string source;      // bind: absolute host path; volume: its name ("" = anonymous, named
                           // when the container is created); tmpfs: unused
  std::string destination; // absolute container path, normalized (no "..", no trailing '/')
  bool read_only = false;
  MountType type = MountType::bind;
  std::string options;     // tmpfs: its options as given ("size=64m,mode=1777,exec")
  std::string host_path;   // volume: its _data directory, set when the container is created
  bool anonymous = false;  // volume: made for this container; `rm -v` and `run --rm` remove it
  bool chown = false;      // :U: chown the source to the container user before each start
  bool no_copy = false;    // volume: never fill an empty volume from the image's content
  friend bool operator==(const Mount&, const Mount&) = default;
};

} // namespace runtime
