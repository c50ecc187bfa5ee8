#include "net/socket_guard.hpp"

#include <linux/filter.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace net {

namespace {

constexpr uint32_t keep_all = 0xffffffffU; // the segment as it is
constexpr uint32_t drop = 0;
// TCP header offsets: a socket filter of a TCP socket sees the segment from its TCP header on.
constexpr uint32_t tcp_source_port = 0;
constexpr uint32_t tcp_dest_port = 2;
constexpr uint32_t tcp_flags = 13;
constexpr uint32_t syn_ack = 0x12;

int attach_locked(int fd, sock_filter* code, unsigned short size) noexcept {
  sock_fprog program{size, code};
  int one = 1;
  if (::setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof program) < 0 ||
      ::setsockopt(fd, SOL_SOCKET, SO_LOCK_FILTER, &one, sizeof one) < 0)
    return -errno;
  return 0;
}

} // namespace

bool tcp_guards_available() noexcept {
  static const bool available = [] {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
      return false;
    sock_filter keep = BPF_STMT(BPF_RET | BPF_K, keep_all);
    sock_fprog program{1, &keep};
    bool ok = ::setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof program) == 0;
    ::close(fd);
    return ok;
  }();
  return available;
}

int guard_listening_socket(int fd, uint16_t port) noexcept {
  sock_filter code[] = {
      BPF_STMT(BPF_LD | BPF_H | BPF_ABS, tcp_dest_port),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, port, 0, 4),
      BPF_STMT(BPF_LD | BPF_B | BPF_ABS, tcp_flags),
      BPF_STMT(BPF_ALU | BPF_AND | BPF_K, syn_ack),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, syn_ack, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, keep_all),
      BPF_STMT(BPF_RET | BPF_K, drop),
  };
  return attach_locked(fd, code, sizeof code / sizeof code[0]);
}

int guard_connecting_socket(int fd, const SocketAddress& peer) noexcept {
  std::optional<uint32_t> ip = peer.ipv4();
  if (!ip)
    return -EAFNOSUPPORT;
  // The network header is reached at SKF_NET_OFF: IPv4's version nibble, then its source.
  sock_filter code[] = {
      BPF_STMT(BPF_LD | BPF_B | BPF_ABS, static_cast<uint32_t>(SKF_NET_OFF)),
      BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xf0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x40, 0, 5),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, static_cast<uint32_t>(SKF_NET_OFF + 12)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, *ip, 0, 3),
      BPF_STMT(BPF_LD | BPF_H | BPF_ABS, tcp_source_port),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, peer.port(), 0, 1),
      BPF_STMT(BPF_RET | BPF_K, keep_all),
      BPF_STMT(BPF_RET | BPF_K, drop),
  };
  return attach_locked(fd, code, sizeof code / sizeof code[0]);
}

} // namespace net
