// Where a container's bind() to a published TCP port goes when its socket is handed over to
// the host (net/socket_bypass): the host address and port in the caller's family, which of the
// forwarder's host sockets must make room, and how cove's namespace reaches the result.
#pragma once

#include "net/port_forwarder.hpp"
#include "net/socket_address.hpp"

#include <optional>
#include <vector>

namespace net {

struct PublishedBind {
  SocketAddress address;     // bind the host socket here
  bool force_v6only = false; // the port is published on IPv6 only
  std::vector<int> release;  // forwarder sockets to give up first (not released before)
  SocketAddress relay_target; // where, from cove's namespace, the host socket is reached
};

// For a bind of `family` (with IPV6_V6ONLY as `v6only`) to container port `port`, given the
// forwarder's TCP host sockets and those already `released`. Nothing when the port is not
// published over TCP, or not in a form the caller's family can take. May throw std::bad_alloc.
std::optional<PublishedBind> published_bind(const std::vector<PortForwarder::HostListener>& listeners,
                                            const std::vector<int>& released, int family,
                                            bool v6only, uint16_t port);

} // namespace net
