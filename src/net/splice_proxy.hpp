// The relay loop of cove's forwarders: accepts TCP connections on listening sockets of the host's
// network namespace and connects each to an address in the namespace this process has entered
// (a published port's, in the container), or relays pairs of sockets connected elsewhere (the
// outbound relay's, net/outbound_relay), moving the bytes both ways with splice(2) through a
// pipe per direction, so that they never leave the kernel. Datagrams of UDP routes go through
// net/udp_relay in the same loop.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace net {

struct ProxyRoute {
  int listener = -1;        // a listening TCP socket or a bound UDP one (made non-blocking)
  bool udp = false;
  sockaddr_storage target{}; // where each accepted connection goes
  socklen_t target_length = 0;
};

// The loop itself, for a thread that also serves descriptors of its own (net/socket_bypass) or
// adds routes while it runs. Every member is for the thread that calls run(); never throws.
class SpliceProxy {
public:
  SpliceProxy() noexcept;
  SpliceProxy(const SpliceProxy&) = delete;
  SpliceProxy& operator=(const SpliceProxy&) = delete;
  // Closes every connection still open (the listeners belong to the caller).
  ~SpliceProxy();

  // Serves one more route from now on (before run(), or from an input callback during it).
  void add_route(const ProxyRoute& route) noexcept;
  // Relays two connected TCP sockets to each other from now on (made non-blocking; owned by
  // the proxy, closed when either side is done or failed), as it relays an accepted connection
  // and the one it made for it: `client` plays the accepted one. on_close(context, tag), if
  // given, is called when the pair is closed while the loop runs (or could not be added).
  void add_pair(int client, int server, void (*on_close)(void*, uintptr_t) = nullptr,
                void* context = nullptr, uintptr_t tag = 0) noexcept;
  // Calls on_input(context, events) from the loop whenever `fd` has one of `events` (EPOLLIN,
  // EPOLLOUT), a hang-up or an error, until it returns false.
  void add_input(int fd, uint32_t events, bool (*on_input)(void*, uint32_t), void* context) noexcept;
  // Stops watching input `fd` (from a callback too, which may then hand `fd` on).
  void remove_input(int fd) noexcept;
  // Runs until `stop_fd` becomes readable, then closes every connection and returns. A failed
  // connection (refused, reset) resets its peer; other failures are reported on stderr.
  void run(int stop_fd) noexcept;

  class Impl;

private:
  std::unique_ptr<Impl> m_impl;
};

// Runs a SpliceProxy for `routes` until `stop_fd` becomes readable; never throws (it runs in a
// thread of its own). The listeners stay open: they are the caller's.
void run_splice_proxy(const std::vector<ProxyRoute>& routes, int stop_fd) noexcept;

} // namespace net
