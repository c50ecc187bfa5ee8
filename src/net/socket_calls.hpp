// The system calls the host-socket filter watches (net/socket_filter) and its supervisor
// answers (net/socket_bypass), per architecture: the native one, and the other one a process
// of the container may run as (i386 and x32 on x86_64, 32-bit ARM on aarch64). A socket handed
// over from cove's namespace must never be aimed at an address cove did not check, so every
// call that can give a socket an address is watched for the other ABIs too.
#pragma once

#include <cstdint>

namespace net {

struct Notification;

struct SocketCalls {
  uint32_t arch = 0; // AUDIT_ARCH_*; 0 = none (no such ABI here)
  int connect = -1;
  int bind = -1;
  int sendto = -1;   // flags in argument 3
  int sendmsg = -1;  // flags in argument 2
  int sendmmsg = -1; // flags in argument 3
  int socketcall = -1; // i386: every socket call through one entry (argument 1 points at the rest)
  int io_uring_setup = -1;
  int getsockname = -1;
  int getpeername = -1;
  int setsockopt = -1; // level in argument 1, option in argument 2
};

// The native ABI, and the other ABIs with the same or their own arch value (x32 shares x86_64's
// arch value and sets bit 30 of the number).
const SocketCalls& native_socket_calls() noexcept;
const SocketCalls& compat_socket_calls() noexcept; // arch 0 where there is none
const SocketCalls& x32_socket_calls() noexcept;    // arch 0 where there is none

// socketcall(2)'s call numbers (linux/net.h).
inline constexpr uint32_t socketcall_bind = 2;
inline constexpr uint32_t socketcall_connect = 3;
inline constexpr uint32_t socketcall_getsockname = 6;
inline constexpr uint32_t socketcall_getpeername = 7;
inline constexpr uint32_t socketcall_sendto = 11;
inline constexpr uint32_t socketcall_setsockopt = 14;
inline constexpr uint32_t socketcall_sendmsg = 16;
inline constexpr uint32_t socketcall_sendmmsg = 20;

// A caught call and its arguments, wherever its ABI keeps them.
struct SocketCall {
  enum class Kind {
    connect,
    bind,
    getsockname,
    getpeername,
    fastopen_send,    // a send with MSG_FASTOPEN (the filter passes no other)
    other_socketcall, // an i386 socketcall send or setsockopt: arguments in the caller's memory
    unreadable,       // an i386 socketcall connect or bind whose arguments cannot be read
    none,             // anything else
  } kind = Kind::none;
  bool compat = false; // from an ABI other than the native one
  int fd = -1;
  uint64_t address = 0; // in the caller
  uint64_t length = 0;  // connect, bind: the length; getsockname, getpeername: where it is
};

// Decodes notification `n`; an i386 socketcall's arguments are read from the caller once (what
// the caller changes afterwards is not used).
SocketCall decode_socket_call(const Notification& n) noexcept;

} // namespace net
