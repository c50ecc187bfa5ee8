#include "runtime/terminal.hpp"

#include "util/error.hpp"
#include "util/strings.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>

namespace runtime {

Pty Pty::open(int size_from) {
  Pty pty;
  pty.m_master.reset(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!pty.m_master)
    util::throw_errno("open \"/dev/ptmx\"");
  if (::grantpt(pty.master()) < 0 || ::unlockpt(pty.master()) < 0)
    util::throw_errno("unlock pseudo-terminal");
  char name[64];
  if (int err = ::ptsname_r(pty.master(), name, sizeof name); err != 0)
    util::throw_errno(err, "ptsname");
  pty.m_slave_path = name;
  pty.m_slave.reset(::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!pty.m_slave)
    util::throw_errno(util::cat("open ", util::quote(name)));
  pty.attach(std::move(pty.m_master));
  if (size_from >= 0)
    copy_window_size(size_from, pty.master());
  return pty;
}

Pty Pty::for_container(int size_from) {
  Pty pty;
  if (size_from >= 0 && ::ioctl(size_from, TIOCGWINSZ, &pty.m_size) < 0)
    pty.m_size = winsize{};
  return pty;
}

void Pty::attach(util::UniqueFd master) {
  int flags = ::fcntl(master.get(), F_GETFL);
  if (flags < 0 || ::fcntl(master.get(), F_SETFL, flags | O_NONBLOCK) < 0)
    util::throw_errno("make the pty master non-blocking");
  m_master = std::move(master);
}

RawMode::RawMode(int fd) {
  if (fd < 0 || ::isatty(fd) == 0)
    return;
  if (::tcgetattr(fd, &m_saved) < 0)
    util::throw_errno("read terminal settings");
  termios raw = m_saved;
  ::cfmakeraw(&raw);
  if (::tcsetattr(fd, TCSANOW, &raw) < 0)
    util::throw_errno("set the terminal to raw mode");
  m_fd = fd;
  m_active = true;
}

RawMode::~RawMode() {
  if (m_active)
    ::tcsetattr(m_fd, TCSANOW, &m_saved);
}

void copy_window_size(int from, int to) noexcept {
  winsize size{};
  if (::ioctl(from, TIOCGWINSZ, &size) == 0)
    ::ioctl(to, TIOCSWINSZ, &size);
}

int own_terminal() noexcept {
  if (::isatty(STDIN_FILENO) != 0)
    return STDIN_FILENO;
  if (::isatty(STDOUT_FILENO) != 0)
    return STDOUT_FILENO;
  return -1;
}

} // namespace runtime
