#include "net/socket_origin.hpp"

#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace net {

NetnsId netns_of_this_thread() noexcept {
  struct stat st{};
  if (::stat("/proc/thread-self/ns/net", &st) < 0)
    return {};
  return {st.st_dev, st.st_ino};
}

std::optional<NetnsId> socket_netns(int fd) noexcept {
  int ns = ::ioctl(fd, SIOCGSKNS);
  if (ns < 0)
    return std::nullopt;
  struct stat st{};
  int rc = ::fstat(ns, &st);
  int err = errno;
  ::close(ns);
  if (rc < 0) {
    errno = err;
    return std::nullopt;
  }
  return NetnsId{st.st_dev, st.st_ino};
}

SocketOrigin socket_origin(int fd, const NetnsId& host) noexcept {
  std::optional<NetnsId> ns = socket_netns(fd);
  if (!ns)
    return errno == EPERM ? SocketOrigin::host : SocketOrigin::other;
  return *ns == host ? SocketOrigin::host : SocketOrigin::container;
}

int tcp_state(int fd) noexcept {
  tcp_info info{};
  socklen_t length = sizeof info;
  int type = 0;
  socklen_t type_length = sizeof type;
  if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &type_length) < 0 || type != SOCK_STREAM ||
      ::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &length) < 0)
    return -1;
  return info.tcpi_state;
}

bool is_fresh(int fd) noexcept {
  sockaddr_storage local{};
  socklen_t length = sizeof local;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) < 0)
    return false;
  uint16_t port = local.ss_family == AF_INET
                      ? reinterpret_cast<sockaddr_in&>(local).sin_port
                      : reinterpret_cast<sockaddr_in6&>(local).sin6_port;
  return port == 0 && tcp_state(fd) == TCP_CLOSE;
}

bool is_blocking(int fd) noexcept {
  int flags = ::fcntl(fd, F_GETFL);
  return flags >= 0 && !(flags & O_NONBLOCK);
}

} // namespace net
