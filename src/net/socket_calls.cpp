#include "net/socket_calls.hpp"

#include <linux/audit.h>

namespace net {

namespace {

#if defined(__x86_64__)
constexpr SocketCalls native{AUDIT_ARCH_X86_64, 42, 49, 44, 46, 307, -1, 425};
constexpr SocketCalls compat{AUDIT_ARCH_I386, 362, 361, 369, 370, 345, 102, 425};
constexpr int x32_bit = 0x40000000;
constexpr SocketCalls x32{AUDIT_ARCH_X86_64, x32_bit + 42, x32_bit + 49, x32_bit + 44,
                          x32_bit + 518, x32_bit + 538, -1, x32_bit + 425};
#elif defined(__aarch64__)
constexpr SocketCalls native{AUDIT_ARCH_AARCH64, 203, 200, 206, 211, 269, -1, 425};
constexpr SocketCalls compat{AUDIT_ARCH_ARM, 283, 282, 290, 296, 374, -1, 425};
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

} // namespace net
