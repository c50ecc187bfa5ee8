// Waiting for a foreground container: signal forwarding and, with -t, the pty relay.
#pragma once

#include "runtime/detach_keys.hpp"
#include "runtime/launcher.hpp"
#include "runtime/signals.hpp"
#include "runtime/terminal.hpp"

namespace runtime {

struct ForegroundIo {
  const Pty* pty = nullptr;  // -t: relay master <-> cove's stdio
  bool forward_stdin = false; // -i with -t: copy cove's stdin to the master
  int terminal = -1;          // cove's own terminal, for SIGWINCH resizes
  DetachScanner* detach = nullptr; // exec -it: watches the forwarded input for the detach keys
};

// Runs until the container's init exits: forwards forwarded_signals to it, propagates SIGWINCH
// as TIOCSWINSZ, relays the pty, and drains the pty output after the exit. Returns the raw wait
// status, or nullopt when the user typed the detach keys (the container is left running).
// `signals` must include SIGWINCH and the forwarded signals.
std::optional<int> wait_foreground(ContainerProcess& process, SignalFd& signals, const ForegroundIo& io);

} // namespace runtime
