// The per-container monitor of a detached container. There is no daemon: `run -d` and `start`
// fork this small process (cove itself, in cove's user and mount namespaces, in a session of its
// own), which mounts the rootfs, starts the container as its child, writes the container's
// stdout and stderr to containers/<id>/ctr.log (k8s-file format), records the exit status and
// finish time in the container's record when the container exits, unmounts and exits. Its own
// diagnostics go to containers/<id>/monitor.log. With a restart policy it starts the command again
// after each exit as the policy says (runtime/restart_policy); SIGUSR1 (monitor_stop_signal) tells
// it the user stopped the container.
#pragma once

#include "runtime/netns_ahead.hpp"
#include "runtime/run.hpp"
#include "storage/container_store.hpp"

#include <memory>

namespace storage {
class Store;
}

namespace runtime {

// Starts the created container `record` under a new monitor and returns once the container's
// command runs (record is reloaded: its state then says running, with the pids). Errors before
// that point (mount, user, namespace setup) are thrown here as util::Error. `netns`: the
// container's network namespace, already being made (see prepare_start), or nullptr.
void start_detached(storage::Store& store, const RuntimeOptions& options,
                    storage::ContainerRecord& record, std::unique_ptr<NetnsAhead> netns = nullptr);

// The log file of a container.
std::filesystem::path log_path(const storage::ContainerStore& containers, const std::string& id);

} // namespace runtime
