// Signals cove receives while a container runs in the foreground, read from a signalfd.
#pragma once

#include "util/fd.hpp"

#include <signal.h>

#include <initializer_list>
#include <optional>

namespace runtime {

// Signals forwarded to the container's init (as `docker run` proxies them).
inline constexpr int forwarded_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

// Blocks `signals` for the whole lifetime of the object and exposes them on a signalfd. Create
// it before starting the container so nothing sent in between is lost. The destructor drops
// what is still pending (it was meant for the container) and restores the previous mask.
class SignalFd {
public:
  explicit SignalFd(std::initializer_list<int> signals);
  SignalFd(const SignalFd&) = delete;
  SignalFd& operator=(const SignalFd&) = delete;
  ~SignalFd();

  // Pollable descriptor (non-blocking).
  int fd() const noexcept { return m_fd.get(); }
  // The next pending signal, or nullopt when none is pending.
  std::optional<int> read();

private:
  sigset_t m_set;
  sigset_t m_old;
  util::UniqueFd m_fd;
};

} // namespace runtime
