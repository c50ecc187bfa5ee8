#include "net/socket_calls.hpp"

#include "net/seccomp_notify.hpp"

#include <linux/audit.h>

namespace net {

namespace {

#if defined(__x86_64__)
constexpr SocketCalls native{AUDIT_ARCH_X86_64, 42, 49, 44, 46, 307, -1, 425, 51, 52, 54};
constexpr SocketCalls compat{AUDIT_ARCH_I386, 362, 361, 369, 370, 345, 102, 425, 367, 368, 366};
constexpr int x32_bit = 0x40000000;
constexpr SocketCalls x32{AUDIT_ARCH_X86_64, x32_bit + 42, x32_bit + 49, x32_bit + 44,
                          x32_bit + 518, x32_bit + 538, -1, x32_bit + 425, x32_bit + 51,
                          x32_bit + 52, x32_bit + 541};
#elif defined(__aarch64__)
constexpr SocketCalls native{AUDIT_ARCH_AARCH64, 203, 200, 206, 211, 269, -1, 425, 204, 205, 208};
constexpr SocketCalls compat{AUDIT_ARCH_ARM, 283, 282, 290, 296, 374, -1, 425, 286, 287, 294};
constexpr SocketCalls x32{};
#else
constexpr SocketCalls native{};
constexpr SocketCalls compat{};
constexpr SocketCalls x32{};
#endif

} // namespace

const SocketCalls& native_socket_calls() noexcept { return native; }
const SocketCalls& compat_socket_calls() noexcept { return compat; }
const SocketCalls& x32_socket_calls() noexcept { return x32; }

SocketCall decode_socket_call(const Notification& n) noexcept {
  const SocketCalls* abi = nullptr;
  if (n.arch == native.arch && n.nr < 0x40000000)
    abi = &native;
  else if (compat.arch != 0 && n.arch == compat.arch)
    abi = &compat;
  else if (x32.arch != 0 && n.arch == x32.arch)
    abi = &x32;
  SocketCall call;
  if (abi == nullptr)
    return call;
  call.compat = abi != &native;
  if (n.nr == abi->connect || n.nr == abi->bind) {
    call.kind = n.nr == abi->connect ? SocketCall::Kind::connect : SocketCall::Kind::bind;
    call.fd = static_cast<int>(n.args[0]);
    call.address = n.args[1];
    call.length = n.args[2];
  } else if (n.nr == abi->getsockname || n.nr == abi->getpeername) {
    call.kind = n.nr == abi->getsockname ? SocketCall::Kind::getsockname
                                         : SocketCall::Kind::getpeername;
    call.fd = static_cast<int>(n.args[0]);
    call.address = n.args[1];
    call.length = n.args[2];
  } else if (n.nr == abi->sendto || n.nr == abi->sendmsg || n.nr == abi->sendmmsg) {
    call.kind = SocketCall::Kind::fastopen_send;
  } else if (n.nr == abi->socketcall) {
    uint32_t which = static_cast<uint32_t>(n.args[0]);
    if (which == socketcall_connect || which == socketcall_bind ||
        which == socketcall_getsockname || which == socketcall_getpeername) {
      uint32_t args[3] = {};
      if (!read_process_memory(n.pid, n.args[1], args, sizeof args)) {
        call.kind = SocketCall::Kind::unreadable; // never let the kernel read them later
        return call;
      }
      call.kind = which == socketcall_connect       ? SocketCall::Kind::connect
                  : which == socketcall_bind        ? SocketCall::Kind::bind
                  : which == socketcall_getsockname ? SocketCall::Kind::getsockname
                                                    : SocketCall::Kind::getpeername;
      call.fd = static_cast<int>(args[0]);
      call.address = args[1];
      call.length = args[2];
    } else if (which == socketcall_sendto || which == socketcall_sendmsg ||
               which == socketcall_sendmmsg || which == socketcall_setsockopt) {
      call.kind = SocketCall::Kind::other_socketcall;
    }
  }
  return call;
}

} // namespace net
