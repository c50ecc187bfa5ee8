#include "net/socket_filter.hpp"

#include "net/socket_calls.hpp"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>

namespace net {

namespace {

constexpr uint32_t notify = SECCOMP_RET_USER_NOTIF;
constexpr uint32_t allow = SECCOMP_RET_ALLOW;
// io_uring reaches sockets without system calls a filter sees; refused as Docker's and
// podman's default profiles refuse it.
constexpr uint32_t refuse = SECCOMP_RET_ERRNO | EPERM;
// What the kernel answers for TCP Fast Open connects when the host turns them off for clients.
constexpr uint32_t no_fastopen = SECCOMP_RET_ERRNO | EOPNOTSUPP;

uint32_t low_word_of_arg(int n) {
  return static_cast<uint32_t>(offsetof(seccomp_data, args) + 8 * n); // little-endian
}

// A fixed-size BPF program, built without allocating (the container's child builds it).
struct Program {
  sock_filter code[192];
  unsigned short size = 0;
  bool overflow = false;

  void add(sock_filter instruction) noexcept {
    if (size == sizeof code / sizeof code[0]) {
      overflow = true;
      return;
    }
    code[size++] = instruction;
  }
  void load_nr() noexcept { add(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr))); }
  // if (nr == value) return action; (the accumulator holds nr)
  void on(int value, uint32_t action) noexcept {
    if (value < 0)
      return;
    add(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(value), 0, 1));
    add(BPF_STMT(BPF_RET | BPF_K, action));
  }
  // if (nr == value) return arg's MSG_FASTOPEN ? notify : allow; (reloads nr when not taken)
  void on_fastopen_send(int value, int flags_arg) noexcept {
    if (value < 0)
      return;
    add(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(value), 0, 4));
    add(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, low_word_of_arg(flags_arg)));
    add(BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, MSG_FASTOPEN, 0, 1));
    add(BPF_STMT(BPF_RET | BPF_K, notify));
    add(BPF_STMT(BPF_RET | BPF_K, allow));
  }
  // if (nr == value) return arg1 == IPPROTO_TCP && arg2 == TCP_FASTOPEN_CONNECT ? no_fastopen : allow;
  void on_fastopen_connect_option(int value) noexcept {
    if (value < 0)
      return;
    add(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(value), 0, 6));
    add(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, low_word_of_arg(1)));
    add(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_TCP, 0, 2));
    add(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, low_word_of_arg(2)));
    add(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TCP_FASTOPEN_CONNECT, 1, 0));
    add(BPF_STMT(BPF_RET | BPF_K, allow));
    add(BPF_STMT(BPF_RET | BPF_K, no_fastopen));
  }
  // The calls of one ABI; ends with "allow". Host sockets: a send names an address only with
  // MSG_FASTOPEN on TCP (cove hands over no other kind of socket). The relay: what connects,
  // and what tells a relayed socket's addresses (everything else of a relayed socket is the
  // container's own).
  void calls(const SocketCalls& c, const SocketFilter& mode) noexcept {
    load_nr();
    on(c.connect, notify);
    on(c.socketcall, notify);
    if (mode.relay) {
      on(c.getsockname, notify);
      on(c.getpeername, notify);
    }
    if (mode.host_sockets) {
      on(c.bind, notify);
      on(c.io_uring_setup, refuse);
      on_fastopen_send(c.sendto, 3);
      on_fastopen_send(c.sendmsg, 2);
      on_fastopen_send(c.sendmmsg, 3);
      on_fastopen_connect_option(c.setsockopt);
    }
    add(BPF_STMT(BPF_RET | BPF_K, allow));
  }
  // if (arch == arch) { <block> } (the accumulator holds the arch)
  void for_arch(uint32_t arch, const Program& block) noexcept {
    add(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arch, 0, static_cast<unsigned char>(block.size)));
    for (unsigned short i = 0; i < block.size; ++i)
      add(block.code[i]);
    overflow = overflow || block.overflow || block.size > 255;
  }
};

} // namespace

int install_socket_filter(const SocketFilter& mode) noexcept {
  const SocketCalls& native = native_socket_calls();
  if (native.arch == 0)
    return -ENOSYS;
  Program program;
  program.add(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)));
  const SocketCalls& compat = compat_socket_calls();
  if (compat.arch != 0) {
    Program block;
    block.calls(compat, mode);
    program.for_arch(compat.arch, block);
  }
  Program block;
  const SocketCalls& x32 = x32_socket_calls();
  if (x32.arch != 0) { // x32 numbers have bit 30 set; 0x40000000 is x32's first
    block.load_nr();
    Program x32_block;
    x32_block.calls(x32, mode);
    block.add(BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000U, 0,
                       static_cast<unsigned char>(x32_block.size)));
    for (unsigned short i = 0; i < x32_block.size; ++i)
      block.add(x32_block.code[i]);
  }
  block.calls(native, mode);
  program.for_arch(native.arch, block);
  program.add(BPF_STMT(BPF_RET | BPF_K, allow)); // an ABI without sockets of ours
  if (program.overflow)
    return -E2BIG;
  sock_fprog fprog{program.size, program.code};
  long fd = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER,
                      &fprog);
  return fd < 0 ? -errno : static_cast<int>(fd);
}

} // namespace net
