// Launcher: clone() of the container process into new namespaces, and ContainerProcess, the
// owner of its pid.
#pragma once

#include "runtime/child.hpp"
#include "util/fd.hpp"

#include <sys/types.h>

#include <functional>
#include <optional>

namespace runtime {

// Owns the container's init process. The destructor kills (SIGKILL) and reaps it unless wait()
// already did (crun's cleanup_pid), so no error path leaves a container running.
class ContainerProcess {
public:
  ContainerProcess(pid_t pid, util::UniqueFd pidfd) noexcept : m_pid(pid), m_pidfd(std::move(pidfd)) {}
  ContainerProcess(ContainerProcess&& other) noexcept;
  ContainerProcess& operator=(ContainerProcess&&) = delete;
  ContainerProcess(const ContainerProcess&) = delete;
  ContainerProcess& operator=(const ContainerProcess&) = delete;
  ~ContainerProcess();

  pid_t pid() const noexcept { return m_pid; }
  // Readable (poll) once the process has exited.
  int pidfd() const noexcept { return m_pidfd.get(); }
  // Sends `sig` through the pidfd (no pid-reuse race); errors are ignored (it may be gone).
  void signal(int sig) const noexcept;
  // Reaps the process; returns the raw wait status.
  int wait();
  // Leaves the process running: the destructor neither kills nor reaps it (exec after detach).
  void disown() noexcept { m_reaped = true; }
  // Reaps if it has exited; the raw wait status, or nullopt while it runs.
  std::optional<int> try_wait();
  // The master of the pty the container created (ChildPlan::console); empty otherwise.
  util::UniqueFd take_console() noexcept { return std::move(m_console); }
  // Stores the pty master received from the child.
  void set_console(util::UniqueFd master) noexcept { m_console = std::move(master); }
  // The listener of the container's socket filter (ChildPlan::intercept_sockets); empty when
  // not asked for or not available.
  util::UniqueFd take_socket_listener() noexcept { return std::move(m_socket_listener); }
  // With it, for the outbound relay: the relay's listening socket in the container.
  util::UniqueFd take_relay_listener() noexcept { return std::move(m_relay_listener); }
  void set_socket_listener(util::UniqueFd listener, util::UniqueFd relay) noexcept {
    m_socket_listener = std::move(listener);
    m_relay_listener = std::move(relay);
  }

private:
  pid_t m_pid;
  util::UniqueFd m_pidfd;
  bool m_reaped = false;
  util::UniqueFd m_console;
  util::UniqueFd m_socket_listener;
  util::UniqueFd m_relay_listener;
};

// Which namespaces the container gets besides mount, pid, uts and ipc.
enum class NetworkNamespace { shared, private_ };

// Runs in the parent after clone() and before the child is released: the place to connect the
// child's new network namespace (slirp4netns, pasta). Throwing aborts the start.
using AfterClone = std::function<void(pid_t pid)>;

class Launcher {
public:
  // Clones the child into new mount/pid/uts/ipc (and network) namespaces, releases it, and
  // waits until it has exec'd its command. Setup failures become a thrown util::Error (the child
  // is killed and reaped). When the command cannot be executed (not found, permission denied)
  // the error is printed and the returned process exits 127 or 126 by itself. With a private
  // network and plan.netns_fd set, the child joins that namespace instead of a new one.
  // Without `after_clone` the child is spawned vfork-style (see CloneMode in launcher.cpp).
  static ContainerProcess start(ChildPlan& plan, NetworkNamespace network,
                                const AfterClone& after_clone = {});
};

} // namespace runtime
