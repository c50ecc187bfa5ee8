// Where a slirp4netns container's TCP connection goes when cove's socket supervisor dials it
// from its own namespace (the outbound relay, host sockets): a pure policy, unit-tested.
#pragma once

#include "net/ipam.hpp"
#include "net/socket_address.hpp"

#include <optional>

namespace net {

// The address cove's namespace dials for a container's connect() to `address`; nothing when the
// connection stays in the container: its own `network`, loopback, 0.0.0.0/8, broadcast and
// multicast, and the host at `gateway` unless `allow_host_loopback` (then the host's
// 127.0.0.1). IPv6 destinations stay too (cove leaves IPv6 to slirp4netns), v4-mapped ones do
// not. A truncated address stays.
std::optional<SocketAddress> outside_destination(const SocketAddress& address, const Subnet& network,
                                                 Ipv4 gateway, bool allow_host_loopback) noexcept;

} // namespace net
