// Which network namespace a socket belongs to, as the host-socket supervisor needs to know it:
// a socket of cove's own namespace in a container is one cove handed over, and must never be
// given an address cove did not check.
#pragma once

#include <sys/types.h>

#include <optional>

namespace net {

enum class SocketOrigin {
  container, // a socket of another namespace (the container's)
  host,      // a socket of the namespace the caller of netns_of_this_thread() was in
  other,     // not a socket
};

// The identity of the calling thread's network namespace.
struct NetnsId {
  dev_t dev = 0;
  ino_t ino = 0;
  friend bool operator==(const NetnsId&, const NetnsId&) = default;
};
NetnsId netns_of_this_thread() noexcept;

// The namespace of socket `fd` (SIOCGSKNS); nothing, errno set, when it cannot be told (EPERM
// without CAP_NET_ADMIN over it, ENOTTY for a descriptor that is no socket).
std::optional<NetnsId> socket_netns(int fd) noexcept;

// Where socket `fd` lives. SIOCGSKNS names a socket's namespace to a caller with CAP_NET_ADMIN
// over it: a rootless cove has that over the container's namespace and not over the host's,
// so EPERM means the host's; as real root the two are told apart by identity.
SocketOrigin socket_origin(int fd, const NetnsId& host) noexcept;

// The TCP state of `fd` (TCP_ESTABLISHED, TCP_SYN_SENT, TCP_CLOSE, TCP_LISTEN...), -1 if it is
// not a TCP socket.
int tcp_state(int fd) noexcept;

// Whether `fd` is a socket nobody has bound or connected (TCP_CLOSE, port 0).
bool is_fresh(int fd) noexcept;

// Whether `fd`'s open file is in blocking mode.
bool is_blocking(int fd) noexcept;

} // namespace net
