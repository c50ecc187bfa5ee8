// connect(2) of a container's unix socket done by cove's socket supervisor as the calling
// thread's own would be, without letting the call run (net/socket_bypass): once unguarded
// sockets of cove's namespace are in a container, no connect() may run as the caller's own,
// since the kernel reads the descriptor and the address again after cove looked, and a
// racing thread could put a host socket under that number.
//
// A short-lived thread of cove takes on the caller's context for the one call: it unshares its
// filesystem context, enters the caller's mount namespace, its root directory and working
// directory (so a path resolves as for the caller), and the caller's user, group,
// supplementary groups, filesystem ids and capabilities (so permission checks and the peer's
// SO_PEERCRED see the caller's ids). The socket is the object taken from the caller, and the
// address is the copy read once. What still differs: the peer's SO_PEERCRED shows the pid of
// cove's supervisor (0 from inside the container), and a connect to a unix socket whose
// listen queue is full answers EAGAIN at once, blocking caller or not.
#pragma once

#include "net/socket_address.hpp"

#include <sys/types.h>

namespace net {

// Connects `socket` (AF_UNIX, taken from thread `tid`) to `address` as `tid` would. 0 or an
// errno (the kernel's for the connect, EPERM or ENOMEM when the context cannot be taken on).
int connect_as_caller(pid_t tid, int socket, const SocketAddress& address) noexcept;

} // namespace net
