#include "runtime/foreground.hpp"

#include "util/error.hpp"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>

namespace runtime {

namespace {

// Writes all of `data`, waiting when `fd` is non-blocking and full.
void write_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno == EAGAIN) {
      pollfd wait{fd, POLLOUT, 0};
      ::poll(&wait, 1, -1);
      continue;
    }
    if (n < 0)
      util::throw_errno("write container output");
    data += n;
    size -= static_cast<size_t>(n);
  }
}

// Copies what the master has to stdout; false once the slave side is gone (EIO) for good.
bool pump_master(int master) {
  char buffer[16384];
  for (;;) {
    ssize_t n = ::read(master, buffer, sizeof buffer);
    if (n > 0) {
      write_all(STDOUT_FILENO, buffer, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno == EAGAIN)
      return true;
    return false; // EIO: every slave descriptor is closed; 0 should not happen on a master
  }
}

void handle_signals(SignalFd& signals, const ContainerProcess& process, const ForegroundIo& io) {
  while (std::optional<int> sig = signals.read()) {
    if (*sig == SIGWINCH) {
      if (io.pty != nullptr && io.terminal >= 0)
        copy_window_size(io.terminal, io.pty->master());
      continue;
    }
    if (std::find(std::begin(forwarded_signals), std::end(forwarded_signals), *sig) !=
        std::end(forwarded_signals))
      process.signal(*sig);
  }
}

// Moves keyboard input to the master: reads stdin only when the previous chunk is written, so
// a container that stops reading cannot make cove block.
struct InputRelay {
  std::string pending;
  bool open = false;

  void read_stdin(DetachScanner* detach) {
    char buffer[4096];
    ssize_t n;
    do {
      n = ::read(STDIN_FILENO, buffer, sizeof buffer);
    } while (n < 0 && errno == EINTR);
    if (n <= 0)
      open = n < 0 && errno == EAGAIN;
    else if (detach != nullptr)
      pending += detach->feed(std::string_view(buffer, static_cast<size_t>(n)));
    else
      pending.append(buffer, static_cast<size_t>(n));
  }

  void write_master(int master) {
    ssize_t n = ::write(master, pending.data(), pending.size());
    if (n > 0)
      pending.erase(0, static_cast<size_t>(n));
    else if (n < 0 && errno != EAGAIN && errno != EINTR)
      pending.clear(); // the container side is gone; its exit ends the loop
  }
};

} // namespace

std::optional<int> wait_foreground(ContainerProcess& process, SignalFd& signals, const ForegroundIo& io) {
  const int master = io.pty != nullptr ? io.pty->master() : -1;
  bool master_open = master >= 0;
  InputRelay input;
  input.open = master_open && io.forward_stdin;
  for (;;) {
    pollfd fds[4];
    nfds_t count = 0;
    fds[count++] = {process.pidfd(), POLLIN, 0};
    fds[count++] = {signals.fd(), POLLIN, 0};
    int master_index = -1;
    int stdin_index = -1;
    if (master_open) {
      master_index = static_cast<int>(count);
      fds[count++] = {master, static_cast<short>(POLLIN | (input.pending.empty() ? 0 : POLLOUT)), 0};
    }
    if (input.open && input.pending.empty()) {
      stdin_index = static_cast<int>(count);
      fds[count++] = {STDIN_FILENO, POLLIN, 0};
    }
    if (::poll(fds, count, -1) < 0) {
      if (errno == EINTR)
        continue;
      util::throw_errno("poll");
    }
    if (fds[1].revents != 0)
      handle_signals(signals, process, io);
    if (master_index >= 0 && (fds[master_index].revents & (POLLIN | POLLHUP | POLLERR)) != 0)
      master_open = pump_master(master);
    if (master_index >= 0 && master_open && (fds[master_index].revents & POLLOUT) != 0)
      input.write_master(master);
    if (stdin_index >= 0 && fds[stdin_index].revents != 0)
      input.read_stdin(io.detach);
    if (io.detach != nullptr && io.detach->detached()) {
      if (master_open && !input.pending.empty())
        input.write_master(master); // what was typed before the keys still goes in
      return std::nullopt;
    }
    if ((fds[0].revents & POLLIN) != 0) {
      // The init is gone and the kernel kills the rest of its pid namespace: what is still in
      // the pty buffer is the end of the output.
      if (master_open)
        pump_master(master);
      return process.wait();
    }
  }
}

} // namespace runtime
