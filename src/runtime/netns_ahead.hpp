// A container's network namespace made ahead of its clone, on a thread of its own.
//
// Creating a network namespace is about half a millisecond of kernel work (per-namespace sysctl
// tables, the loopback device, protocol state) that needs nothing from the container. Started
// when the start is being prepared, it overlaps the rootfs mount and the etc files on the other
// core instead of lengthening the clone; the launcher then clones the container into it.
#pragma once

#include "util/fd.hpp"

#include <string>
#include <thread>

namespace runtime {

class NetnsAhead {
public:
  // Starts the thread: unshare(CLONE_NEWNET), "lo" up, an fd on the namespace.
  NetnsAhead();
  NetnsAhead(NetnsAhead&&) = delete; // the thread writes into this object
  NetnsAhead& operator=(NetnsAhead&&) = delete;
  ~NetnsAhead(); // joins (the namespace goes away with the fd when not taken)

  // Waits for the thread; the namespace, or util::SystemError naming the failed step.
  util::UniqueFd take();
  // Waits for the thread; the namespace's descriptor, still owned by this object (for a helper
  // that joins it by path, /proc/PID/fd/N, before take()). Throws as take().
  int wait();
  // Waits for the thread only: a failure is left for take() or wait() (before a fork, which
  // copies only the calling thread).
  void join() noexcept;

private:
  void make() noexcept;

  util::UniqueFd m_fd;
  int m_error = 0;
  const char* m_failed = ""; // the step that failed (a literal)
  // Last: members are initialised in declaration order, and the thread writes the ones above
  // (declared before it, they were once reset after a quick thread had set them).
  std::thread m_thread;
};

} // namespace runtime
