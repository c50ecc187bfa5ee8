// Waiting for a foreground container: signal forwarding and, with -t, the pty relay.
#pragma once

#include "runtime/launcher.hpp"
#include "runtime/signals.hpp"
#include "runtime/terminal.hpp"

namespace runtime {

struct ForegroundIo {
  const Pty* pty = nullptr;  // -t: relay master <-> cove's stdio
  bool forward_stdin = false; // -i with -t: copy cove's stdin to the master
  int terminal = -1;          // cove's own terminal, for SIGWINCH resizes
};

// Runs until the container's init exits: forwards forwarded_signals to it, propagates SIGWINCH
// as TIOCSWINSZ, relays the pty, and drains the pty output after the exit. Returns the raw wait
// status. `signals` must include SIGWINCH and the forwarded signals.
int wait_foreground(ContainerProcess& process, SignalFd& signals, const ForegroundIo& io);

} // namespace runtime
