// Pseudo-terminals for `run -t`: the pty pair, raw mode on cove's own terminal, window size.
#pragma once

#include "util/fd.hpp"

#include <sys/ioctl.h>
#include <termios.h>

#include <string>

namespace runtime {

// A pseudo-terminal whose slave is a container process's stdio and controlling terminal; the
// master stays with cove, which relays it to its own stdio.
class Pty {
public:
  // Opens a pair from /dev/ptmx of the current mount namespace (`cove exec` joins the
  // container's, so it gets a pty of the container's devpts) and unlocks it; copies the window
  // size of `size_from` if it is a tty.
  static Pty open(int size_from);
  // A pty the container's init creates in its own devpts instance (ChildPlan::console): no
  // descriptors until attach() gets the master; keeps the window size of `size_from` for it.
  static Pty for_container(int size_from);
  // Takes the master received from the container process and makes it non-blocking.
  void attach(util::UniqueFd master);
  // The window size of the terminal given at creation (0x0 when it was not a terminal).
  const winsize& initial_size() const noexcept { return m_size; }

  int master() const noexcept { return m_master.get(); }
  int slave() const noexcept { return m_slave.get(); }
  // "/dev/pts/N" (empty for for_container()).
  const std::string& slave_path() const noexcept { return m_slave_path; }
  // Drops cove's copy of the slave once the child has its own, so EIO marks the end.
  void close_slave() noexcept { m_slave.reset(); }

private:
  Pty() = default;
  util::UniqueFd m_master;
  util::UniqueFd m_slave;
  std::string m_slave_path;
  winsize m_size{};
};

// Puts a terminal in raw mode (keys go to the container's tty untouched: Ctrl-C becomes a byte
// the container's line discipline turns into SIGINT) and restores it on destruction, including
// when cove unwinds after an error. No-op when `fd` is not a terminal.
class RawMode {
public:
  explicit RawMode(int fd);
  RawMode(const RawMode&) = delete;
  RawMode& operator=(const RawMode&) = delete;
  ~RawMode();

private:
  int m_fd = -1;
  termios m_saved{};
  bool m_active = false;
};

// Copies the window size of the terminal `from` to `to` (a pty master); ignored when `from` is
// not a terminal.
void copy_window_size(int from, int to) noexcept;

// cove's own terminal for size and raw mode: stdin if it is a tty, else stdout if it is, else -1.
int own_terminal() noexcept;

} // namespace runtime
