#include "runtime/signals.hpp"

#include "util/error.hpp"

#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>

namespace runtime {

SignalFd::SignalFd(std::initializer_list<int> signals) {
  sigemptyset(&m_set);
  for (int sig : signals)
    sigaddset(&m_set, sig);
  int err = ::pthread_sigmask(SIG_BLOCK, &m_set, &m_old);
  if (err != 0)
    util::throw_errno(err, "block signals");
  int fd = ::signalfd(-1, &m_set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) {
    int saved = errno;
    ::pthread_sigmask(SIG_SETMASK, &m_old, nullptr);
    util::throw_errno(saved, "signalfd");
  }
  m_fd.reset(fd);
}

SignalFd::~SignalFd() {
  // Drain first: a pending SIGINT would otherwise hit cove itself once unblocked.
  signalfd_siginfo info;
  while (::read(m_fd.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
  }
  ::pthread_sigmask(SIG_SETMASK, &m_old, nullptr);
}

std::optional<int> SignalFd::read() {
  signalfd_siginfo info;
  for (;;) {
    ssize_t n = ::read(m_fd.get(), &info, sizeof info);
    if (n == static_cast<ssize_t>(sizeof info))
      return static_cast<int>(info.ssi_signo);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno == EAGAIN)
      return std::nullopt;
    util::throw_errno("read signalfd");
  }
}

} // namespace runtime
