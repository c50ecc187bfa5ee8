// Acting on existing containers from any cove process: truthful state, signals, waiting, stop.
// These run in the host's user namespace (no namespace of cove's own entered): the recorded pids
// are host pids, and a process of the user that owns the container's user namespace may signal
// any process in it, whichever uid the container runs as, which a fresh cove user namespace (a
// sibling of the container's) could not.
#pragma once

#include "runtime/container_state.hpp"
#include "storage/container_store.hpp"

#include <signal.h>

#include <chrono>
#include <optional>

namespace runtime {

// The record's state reconciled with /proc: a "running" container whose init and monitor are
// both gone is exited (and the record is rewritten so). Updates record.state.
ContainerState refresh_state(const storage::ContainerStore& containers,
                             storage::ContainerRecord& record);

// The signal that tells a detached container's monitor the user stopped the container: its
// restart policy must not start it again until the next `start` (Docker's manual stop).
inline constexpr int monitor_stop_signal = SIGUSR1;

// Sends `sig` to the container's init through a pidfd opened and checked against the recorded
// start time (no pid-reuse race). SIGKILL or the stop signal count as the user's stop, as with
// Docker: the monitor is told first not to restart the container (a container waiting out its
// restart back-off is then simply not started again), and a paused container is thawed after
// the signal so it can act on it. Throws util::Error when the container is not running.
void signal_container(const storage::ContainerRecord& record, const ContainerState& state, int sig);

// Docker's pause: freezes every process of the running container in its freezer cgroup. Throws
// util::Error when it is not running, is already paused, or has no freezer cgroup (the message
// then says what the host lacks).
void pause_container(const storage::ContainerRecord& record, const ContainerState& state);

// Thaws a paused container. Throws util::Error when it is not paused.
void unpause_container(const storage::ContainerRecord& record, const ContainerState& state);

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
