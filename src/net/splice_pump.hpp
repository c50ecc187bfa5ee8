// One direction of a relayed TCP connection (net/splice_proxy): the bytes read from one socket
// wait in a pipe until the other takes them, moved with splice(2) so that they never leave the
// kernel.
#pragma once

#include <cstddef>

namespace net {

struct Direction {
  int from = -1;
  int to = -1;
  int pipe_read = -1;
  int pipe_write = -1;
  size_t pending = 0;  // bytes in the pipe
  bool eof = false;    // `from` has sent everything
  bool done = false;   // ... and `to` has it all and was shut down for writing
  bool want_in = false;
  bool want_out = false;
  unsigned long progress = 0; // splices that moved bytes, and the end of file seen
};

// Gives `d` its pipe (non-blocking, close-on-exec, enlarged where the system allows). False,
// errno set, on failure.
bool make_pipe(Direction& d) noexcept;

// Moves what `from` has to `to` until either would block, or for a few rounds (the loop is
// level-triggered: want_in/want_out say which side to wait for). False when the connection
// failed.
bool pump(Direction& d) noexcept;

} // namespace net
