// The container side of cove's host sockets (net/socket_bypass): a seccomp filter that sends the
// container's connect(2) and bind(2) calls, its sends with MSG_FASTOPEN (which connect) and, for
// i386, every socketcall(2) to a supervisor in cove as user notifications, for every ABI the
// kernel runs (net/socket_calls); refuses io_uring_setup(2) (io_uring reaches sockets past any
// filter), and lets every other system call through untouched.
#pragma once

namespace net {

// Installs the filter on the calling thread (inherited by everything it execs and forks) and
// returns the notification listener, or -errno: EINVAL or ENOSYS without seccomp user
// notifications (Linux < 5.9), EBUSY under a filter that already has a listener (cove inside a
// container of its own), EACCES without CAP_SYS_ADMIN or no_new_privs. Async-signal-safe and
// allocation-free: it runs in the container's child between clone and exec.
int install_socket_filter() noexcept;

} // namespace net
