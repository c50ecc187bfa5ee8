// A container's root filesystem opened for `cp` and `export`, whether it runs or not. A running
// container is reached through /proc/<pid>/root of its init, which must be opened from the
// host's user namespace (the owner of the container's; a fresh cove namespace is a sibling and
// may not), so opening happens in two steps around userns::ensure_in_userns.
#pragma once

#include "runtime/container_state.hpp"
#include "runtime/rootfs.hpp"
#include "runtime/run.hpp"
#include "storage/container_store.hpp"
#include "storage/layer_store.hpp"
#include "util/fd.hpp"

#include <optional>
#include <vector>

namespace storage {
class Store;
}

namespace runtime {

class ContainerRoot {
public:
  // Step 1, in the host's namespaces: a running container's root is opened (an O_PATH directory
  // of its init's root, the start time checked afterwards so a reused pid cannot substitute), and
  // sees what the container sees, volumes and /etc/hosts included. For a container that is not
  // running nothing is opened yet.
  static ContainerRoot locate(const storage::ContainerRecord& record, const ContainerState& state);

  // Step 2, inside cove's user namespace: a container that is not running gets its rootfs mounted
  // (with the driver it was created with) for as long as this object lives. Does nothing for a
  // running one.
  void open(storage::Store& store, const RuntimeOptions& options,
            const storage::ContainerRecord& record);

  // The root directory (O_PATH); valid after open().
  int fd() const noexcept { return m_root.get(); }
  // True when the root is the running container's own view (with its mounts).
  bool live() const noexcept { return m_live; }

private:
  util::UniqueFd m_root;
  bool m_live = false;
  std::vector<storage::LayerLease> m_leases;
  std::optional<MountedRootfs> m_mount;
};

} // namespace runtime
