#include "net/splice_pump.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace net {

namespace {

// Each pipe holds up to this much between the two sockets; fewer, larger splices.
constexpr int pipe_bytes = 1 << 20;
// Bytes one splice call may move, and rounds per wake-up before other connections get a turn.
constexpr size_t splice_bytes = 1 << 20;
constexpr int rounds_per_turn = 8;
} // namespace

bool make_pipe(Direction& d) noexcept {
  int fds[2];
  if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) < 0)
    return false;
  d.pipe_read = fds[0];
  d.pipe_write = fds[1];
  ::fcntl(d.pipe_write, F_SETPIPE_SZ, pipe_bytes); // best effort: the default is 64 KiB
  return true;
}

bool pump(Direction& d) noexcept {
  d.want_in = d.want_out = false;
  for (int round = 0; !d.done; ++round) {
    if (round == rounds_per_turn) { // level-triggered: the ready side wakes the loop again
      (d.pending > 0 ? d.want_out : d.want_in) = true;
      return true;
    }
    if (d.pending > 0) {
      ssize_t n = ::splice(d.pipe_read, nullptr, d.to, nullptr, d.pending,
                           SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n < 0) {
        if (errno == EINTR)
          continue;
        if (errno != EAGAIN)
          return false;
        d.want_out = true;
        return true;
      }
      d.pending -= static_cast<size_t>(n);
      d.progress++;
      continue;
    }
    if (d.eof) {
      ::shutdown(d.to, SHUT_WR);
      d.done = true;
      return true;
    }
    // The pipe is empty here, so EAGAIN means that the socket has nothing to read.
    ssize_t n = ::splice(d.from, nullptr, d.pipe_write, nullptr, splice_bytes,
                         SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (n == 0) {
      d.eof = true;
      d.progress++;
    } else if (n < 0) {
      if (errno == EINTR)
        continue;
      if (errno != EAGAIN)
        return false;
      d.want_in = true;
      return true;
    } else {
      d.pending += static_cast<size_t>(n);
      d.progress++;
    }
  }
  return true;
}

} // namespace net
