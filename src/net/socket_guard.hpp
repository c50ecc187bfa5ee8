// Guards for the sockets of cove's network namespace that a container is given (published
// ports' listening sockets, and with slirp4netns:host_sockets=true its outbound connections;
// net/socket_bypass). Each gets a classic BPF socket filter, locked with SO_LOCK_FILTER so the
// container can neither remove nor replace it, that drops every incoming segment a connection
// of the socket's own was not made for. However a container aims such a socket (a disconnect
// and a connect elsewhere, won by racing its threads against the supervisor's checks), the
// handshake never completes: the answering SYN-ACK is dropped. So the host's loopback, which
// slirp4netns keeps out of reach, stays out of reach through a handed socket as well.
#pragma once

#include "net/socket_address.hpp"

#include <cstdint>

namespace net {

// Whether this process may guard TCP sockets of its network namespace. Recent kernels (the
// 6.18 of cove's CI among them) ask CAP_NET_ADMIN in the namespace's owner for SO_ATTACH_FILTER
// on TCP sockets, which a rootless cove does not have in the host's; older ones (Debian 12's
// 6.1) let any process filter its own sockets. Probed once.
bool tcp_guards_available() noexcept;

// A listening TCP socket for host port `port`, and the connections it accepts (they inherit
// the filter): segments to `port` only, and never a SYN-ACK, which only a connecting socket
// takes. 0, or -errno.
int guard_listening_socket(int fd, uint16_t port) noexcept;

// A TCP socket about to connect to `peer`, an IPv4 address (or IPv4-mapped IPv6 one): only
// IPv4 segments from `peer`'s address and port. 0, or -errno (EAFNOSUPPORT for another
// address).
int guard_connecting_socket(int fd, const SocketAddress& peer) noexcept;

} // namespace net
