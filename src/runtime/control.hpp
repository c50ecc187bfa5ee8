// Acting on existing containers from any cove process: truthful state, signals, waiting, stop.
// These run in the host's user namespace (no namespace of cove's own entered): the recorded pids
// are host pids, and a process of the user that owns the container's user namespace may signal
// any process in it, whichever uid the container runs as, which a fresh cove user namespace (a
// sibling of the container's) could not.
#pragma once

#include "runtime/container_state.hpp"
#include "storage/container_store.hpp"

#include <chrono>
#include <optional>

namespace runtime {

// The record's state reconciled with /proc: a "running" container whose init and monitor are
// both gone is exited (and the record is rewritten so). Updates record.state.
ContainerState refresh_state(const storage::ContainerStore& containers,
                             storage::ContainerRecord& record);

// Sends `sig` to the container's init through a pidfd opened and checked against the recorded
// start time (no pid-reuse race). Throws util::Error when the container is not running.
void signal_container(const storage::ContainerRecord& record, const ContainerState& state, int sig);

// Waits until the container has stopped and its exit is recorded (its monitor is gone), at most
// `timeout` (nullopt: no limit). Reloads `record`; returns false on timeout. A container whose
// record disappears (auto-removed) counts as stopped.
bool wait_stopped(const storage::ContainerStore& containers, storage::ContainerRecord& record,
                  std::optional<std::chrono::milliseconds> timeout);

// Docker's stop: the image's StopSignal, then SIGKILL after `timeout`; returns once the exit is
// recorded. Does nothing to a container that is not running.
void stop_container(const storage::ContainerStore& containers, storage::ContainerRecord& record,
                    std::chrono::seconds timeout);

} // namespace runtime
