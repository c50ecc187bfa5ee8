// The container side of cove's socket supervisor (net/socket_bypass): a seccomp filter that sends
// some of the container's socket calls to a supervisor in cove as user notifications, for every
// ABI the kernel runs (net/socket_calls), and lets every other system call through untouched.
#pragma once

namespace net {

enum class SocketFilter {
  // The outbound relay (net/outbound_relay): connect(2), getsockname(2), getpeername(2) and,
  // for i386, every socketcall(2).
  relay,
  // Host sockets: connect(2), bind(2), sends with MSG_FASTOPEN (which connect) and every i386
  // socketcall(2); refuses io_uring_setup(2) (io_uring reaches sockets past any filter).
  host_sockets,
};

// Installs the filter on the calling thread (inherited by everything it execs and forks) and
// returns the notification listener, or -errno: EINVAL or ENOSYS without seccomp user
// notifications (Linux < 5.9), EBUSY under a filter that already has a listener (cove inside a
// container of its own), EACCES without CAP_SYS_ADMIN or no_new_privs. Async-signal-safe and
// allocation-free: it runs in the container's child between clone and exec.
int install_socket_filter(SocketFilter mode) noexcept;

} // namespace net
