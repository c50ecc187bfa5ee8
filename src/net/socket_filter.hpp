// The container side of cove's socket supervisor (net/socket_bypass): a seccomp filter that sends
// some of the container's socket calls to a supervisor in cove as user notifications, for every
// ABI the kernel runs (net/socket_calls), and lets every other system call through untouched.
#pragma once

namespace net {

// What the filter sends to the supervisor: always connect(2) and, for i386, every
// socketcall(2); with `relay` and `host_sockets` also:
struct SocketFilter {
  // The outbound relay (net/outbound_relay): getsockname(2) and getpeername(2).
  bool relay = false;
  // Sockets of cove's namespace in the container (published ports handed over, and outbound
  // connections with slirp4netns:host_sockets=true): bind(2), and sends with MSG_FASTOPEN
  // (which connect). The filter itself refuses io_uring_setup(2) (io_uring reaches sockets past
  // any filter; Docker's and podman's default profiles refuse it too) and
  // setsockopt(TCP_FASTOPEN_CONNECT) with EOPNOTSUPP, as a host that turns TCP Fast Open off
  // for clients does: programs fall back to a plain connect(), which is checked.
  bool host_sockets = false;
};

// Installs the filter on the calling thread (inherited by everything it execs and forks) and
// returns the notification listener, or -errno: EINVAL or ENOSYS without seccomp user
// notifications (Linux < 5.9), EBUSY under a filter that already has a listener (cove inside a
// container of its own), EACCES without CAP_SYS_ADMIN or no_new_privs. Async-signal-safe and
// allocation-free: it runs in the container's child between clone and exec.
int install_socket_filter(const SocketFilter& mode) noexcept;

} // namespace net
