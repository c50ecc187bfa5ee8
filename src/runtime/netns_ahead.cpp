#include "runtime/netns_ahead.hpp"

#include "runtime/loopback.hpp"
#include "util/error.hpp"

#include <fcntl.h>
#include <sched.h>

#include <cerrno>

namespace runtime {

NetnsAhead::NetnsAhead() : m_thread([this] { make(); }) {}

NetnsAhead::~NetnsAhead() {
  if (m_thread.joinable())
    m_thread.join();
}

// Only this thread moves into the new namespace (namespaces are per task); it ends right after,
// and the fd keeps the namespace alive.
void NetnsAhead::make() noexcept {
  if (::unshare(CLONE_NEWNET) < 0) {
    m_error = errno;
    m_failed = "create the container's network namespace";
    return;
  }
  if (int err = bring_loopback_up(); err != 0) {
    m_error = err;
    m_failed = "bring up the loopback interface of the container's network namespace";
    return;
  }
  int fd = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    m_error = errno;
    m_failed = "open /proc/thread-self/ns/net";
    return;
  }
  m_fd = util::UniqueFd(fd);
}

util::UniqueFd NetnsAhead::take() {
  wait();
  return std::move(m_fd);
}

void NetnsAhead::join() noexcept {
  if (m_thread.joinable())
    m_thread.join();
}

int NetnsAhead::wait() {
  if (m_thread.joinable())
    m_thread.join();
  if (m_error != 0)
    throw util::SystemError(m_error, m_failed);
  return m_fd.get();
}

} // namespace runtime
