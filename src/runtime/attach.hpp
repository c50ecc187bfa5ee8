// `cove attach`: joins a running detached container's stdio through its monitor's attach socket
// (attach_socket.hpp): the container's output from now on (stdout to stdout, stderr to stderr),
// cove's stdin to the container when it was started with -i, the terminal (raw mode, window
// size) with -t, until the container's command ends or the user types the detach keys.
#pragma once

#include "runtime/container_state.hpp"
#include "runtime/detach_keys.hpp"
#include "storage/container_store.hpp"

namespace runtime {

struct AttachRequest {
  bool stdin = true;     // pass cove's stdin on (when the container has one); --no-stdin clears
  bool sig_proxy = true; // forward cove's signals to the container (without -t), as Docker
  DetachKeys detach_keys; // --detach-keys (default Ctrl-P Ctrl-Q)
};

// Attaches to the container and returns its exit code once the run ends, or 0 when the user
// detached. Throws util::Error when the container is not running or was not started detached.
int attach_container(const storage::ContainerStore& containers, storage::ContainerRecord& record,
                     const ContainerState& state, const AttachRequest& request);

} // namespace runtime
