// A socket like one of the container's, made in cove's own network namespace: the same family,
// type and protocol, its non-blocking mode and the options the container may have set on it
// before it asked to connect or bind (net/socket_bypass).
#pragma once

#include "util/fd.hpp"

namespace net {

// The shape of a socket, from getsockopt(SO_DOMAIN, SO_TYPE, SO_PROTOCOL).
struct SocketKind {
  int domain = -1;
  int type = -1;
  int protocol = -1;
};

// The kind of `fd`; domain -1 when it is not a socket.
SocketKind socket_kind(int fd) noexcept;

// An IPv4 or IPv6 TCP socket.
bool is_tcp(const SocketKind& kind) noexcept;

// A new socket of `original`'s kind in the caller's network namespace, with O_NONBLOCK as the
// original's and the original's socket-level, TCP and IP options copied where they differ from
// a new socket's (buffer sizes excepted: a size read back cannot tell a chosen one from the
// autotuned default, and setting one turns autotuning off). Close-on-exec in cove. Empty, errno
// set, on failure.
util::UniqueFd socket_twin(int original, const SocketKind& kind) noexcept;

} // namespace net
