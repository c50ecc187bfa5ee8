// The relay loop of a published-port forwarder: accepts TCP connections on listening sockets of
// the host's network namespace and connects each to an address in the namespace this process
// has entered (the container's), then moves the bytes both ways with splice(2) through a pipe
// per direction, so that they never leave the kernel. Datagrams of UDP routes go through
// net/udp_relay in the same loop.
#pragma once

#include <sys/socket.h>

#include <vector>

namespace net {

struct ProxyRoute {
  int listener = -1;        // a listening TCP socket or a bound UDP one (made non-blocking)
  bool udp = false;
  sockaddr_storage target{}; // where each accepted connection goes
  socklen_t target_length = 0;
};

// Runs until `stop_fd` becomes readable, then closes every connection and returns; never throws
// (it runs in a thread of its own). The listeners stay open: they are the caller's. A failed
// connection (refused, reset) resets its peer; other failures are reported on stderr.
void run_splice_proxy(const std::vector<ProxyRoute>& routes, int stop_fd) noexcept;

} // namespace net
