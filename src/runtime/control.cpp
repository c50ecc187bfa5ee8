#include "runtime/control.hpp"

#include "image/config.hpp"
#include "runtime/freezer.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/strings.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace runtime {

namespace {

using Clock = std::chrono::steady_clock;

// A pidfd for `id` if that very process still exists (the start time is checked after opening,
// so the descriptor cannot refer to a successor that reused the pid).
std::optional<util::UniqueFd> open_pidfd(const ProcessId& id) {
  if (id.pid <= 0)
    return std::nullopt;
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, id.pid, 0));
  if (fd < 0)
    return std::nullopt;
  util::UniqueFd pidfd(fd);
  if (!is_alive(id))
    return std::nullopt;
  return pidfd;
}

// Waits until the process behind `pidfd` exits; false on timeout.
bool wait_exit(int pidfd, std::optional<Clock::time_point> deadline) {
  for (;;) {
    int ms = -1;
    if (deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - Clock::now());
      ms = static_cast<int>(std::max<long long>(0, left.count()));
    }
    pollfd p{pidfd, POLLIN, 0};
    int n = ::poll(&p, 1, ms);
    if (n > 0)
      return true;
    if (n == 0)
      return false;
    if (errno != EINTR)
      util::throw_errno("wait for a container process");
  }
}

bool reload(const storage::ContainerStore& containers, storage::ContainerRecord& record) {
  std::optional<storage::ContainerRecord> fresh = containers.lookup(record.id);
  if (!fresh)
    return false;
  record = std::move(*fresh);
  return true;
}

// Tells a detached container's monitor that the user stops the container, so its restart
// policy must not start it again (SIGUSR1, see monitor.cpp). A foreground run has no policy.
void request_no_restart(const ContainerState& state) {
  if (!state.detached)
    return;
  if (std::optional<util::UniqueFd> monitor = open_pidfd(state.monitor))
    ::syscall(SYS_pidfd_send_signal, monitor->get(), monitor_stop_signal, nullptr, 0);
}

} // namespace

ContainerState refresh_state(const storage::ContainerStore& containers,
                             storage::ContainerRecord& record) {
  ContainerState state = ContainerState::from_json(record.state);
  if (state.status != Status::running)
    return state;
  bool container_alive = is_alive(state.process);
  bool monitor_alive = is_alive(state.monitor);
  std::optional<ContainerState> fixed =
      reconcile(state, container_alive, monitor_alive, image::now_rfc3339());
  if (!fixed) {
    // Paused is the freezer's state, not the record's: pause writes no record.
    state.paused = container_alive && !state.restarting && cgroup_frozen(state.freezer);
    return state;
  }
  // Only a reader that found the monitor dead gets here, so nothing else writes the record now.
  // A monitor killed with SIGKILL leaves its (now empty) freezer cgroup behind.
  if (!state.freezer.empty())
    ::rmdir(state.freezer.c_str());
  record.state = fixed->to_json();
  try {
    containers.save(record);
  } catch (const util::Error&) {
    // A reader without write access (or a record being removed) still reports the truth.
  }
  return *fixed;
}

void signal_container(const storage::ContainerRecord& record, const ContainerState& state,
                      int sig) {
  bool stopping = state.status == Status::running &&
                  (sig == SIGKILL ||
                   sig == parse_signal(state.stop_signal.empty() ? "SIGTERM" : state.stop_signal));
  // Before the container can die of it: the monitor must know not to restart it.
  if (stopping)
    request_no_restart(state);
  std::optional<util::UniqueFd> pidfd;
  if (state.status == Status::running)
    pidfd = open_pidfd(state.process);
  if (!pidfd && stopping && state.restarting)
    return; // between two runs: the monitor ends instead of starting the next one
  if (!pidfd)
    throw util::Error(util::cat("container ", record.name, " is not running"));
  if (::syscall(SYS_pidfd_send_signal, pidfd->get(), sig, nullptr, 0) < 0 && errno != ESRCH)
    util::throw_errno(util::cat("send signal ", sig, " to container ", record.name));
  // A frozen process acts on no signal, not even SIGKILL (cgroup v1): thaw it to let it stop.
  if (stopping && cgroup_frozen(state.freezer))
    thaw_cgroup(state.freezer);
}

void pause_container(const storage::ContainerRecord& record, const ContainerState& state) {
  if (state.status != Status::running || state.restarting || !is_alive(state.process))
    throw util::Error(util::cat("container ", record.name, " is not running"));
  if (state.paused)
    throw util::Error(util::cat("container ", record.name, " is already paused"));
  if (state.freezer.empty())
    throw util::Error(util::cat(
        "cannot pause container ", record.name, ": the cgroup freezer is not available: ",
        state.freezer_error.empty() ? "the container was started without a freezer cgroup"
                                    : state.freezer_error));
  freeze_cgroup(state.freezer);
}

void unpause_container(const storage::ContainerRecord& record, const ContainerState& state) {
  if (!state.paused)
    throw util::Error(util::cat("container ", record.name, " is not paused"));
  thaw_cgroup(state.freezer);
}

bool wait_stopped(const storage::ContainerStore& containers, storage::ContainerRecord& record,
                  std::optional<std::chrono::milliseconds> timeout) {
  std::optional<Clock::time_point> deadline;
  if (timeout)
    deadline = Clock::now() + *timeout;
  for (;;) {
    if (!reload(containers, record))
      return true;
    ContainerState state = refresh_state(containers, record);
    // The monitor exits right after recording the exit and unmounting.
    std::optional<util::UniqueFd> pidfd = open_pidfd(state.monitor);
    if (state.status != Status::running) {
      if (pidfd)
        wait_exit(pidfd->get(), deadline);
      return true;
    }
    if (!pidfd)
      pidfd = open_pidfd(state.process);
    if (pidfd && !wait_exit(pidfd->get(), deadline))
      return false;
    if (!pidfd && deadline && Clock::now() >= *deadline)
      return false;
    if (!pidfd)
      ::usleep(20000); // both gone: the next refresh reconciles
  }
}

void stop_container(const storage::ContainerStore& containers, storage::ContainerRecord& record,
                    std::chrono::seconds timeout) {
  ContainerState state = refresh_state(containers, record);
  if (state.status != Status::running)
    return;
  int sig = parse_signal(state.stop_signal.empty() ? "SIGTERM" : state.stop_signal);
  // Each signal may find the container already gone: that is the goal, not an error.
  auto send = [&](int s) {
    try {
      signal_container(record, state, s);
    } catch (const util::Error&) {
    }
  };
  send(sig);
  if (wait_stopped(containers, record, timeout))
    return;
  state = refresh_state(containers, record);
  if (state.status == Status::running)
    send(SIGKILL);
  wait_stopped(containers, record, std::nullopt);
}

} // namespace runtime
