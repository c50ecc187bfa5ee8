#include "net/socket_twin.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cstring>

namespace net {

namespace {

struct Option {
  int level;
  int name;
};

// What a program commonly sets before connect() or bind(); the rest it sets afterwards, on the
// socket it then has.
constexpr Option socket_options[] = {
    {SOL_SOCKET, SO_REUSEADDR},     {SOL_SOCKET, SO_REUSEPORT},     {SOL_SOCKET, SO_KEEPALIVE},
    {SOL_SOCKET, SO_BROADCAST},     {SOL_SOCKET, SO_OOBINLINE},     {SOL_SOCKET, SO_PRIORITY},
    {SOL_SOCKET, SO_RCVLOWAT},      {SOL_SOCKET, SO_LINGER},        {SOL_SOCKET, SO_RCVTIMEO},
    {SOL_SOCKET, SO_SNDTIMEO},      {IPPROTO_TCP, TCP_NODELAY},     {IPPROTO_TCP, TCP_CORK},
    {IPPROTO_TCP, TCP_KEEPIDLE},    {IPPROTO_TCP, TCP_KEEPINTVL},   {IPPROTO_TCP, TCP_KEEPCNT},
    {IPPROTO_TCP, TCP_USER_TIMEOUT}, {IPPROTO_TCP, TCP_SYNCNT},     {IPPROTO_TCP, TCP_NOTSENT_LOWAT},
    {IPPROTO_TCP, TCP_FASTOPEN_CONNECT}, {IPPROTO_TCP, TCP_DEFER_ACCEPT},
};
constexpr Option ipv4_options[] = {{IPPROTO_IP, IP_TOS}, {IPPROTO_IP, IP_TTL},
                                   {IPPROTO_IP, IP_RECVERR}, {IPPROTO_IP, IP_MTU_DISCOVER}};
constexpr Option ipv6_options[] = {{IPPROTO_IPV6, IPV6_V6ONLY}, {IPPROTO_IPV6, IPV6_TCLASS},
                                   {IPPROTO_IPV6, IPV6_UNICAST_HOPS},
                                   {IPPROTO_IPV6, IPV6_RECVERR}};

void copy_option(int from, int to, const Option& option) noexcept {
  unsigned char theirs[32];
  unsigned char ours[32];
  socklen_t their_length = sizeof theirs;
  socklen_t our_length = sizeof ours;
  if (::getsockopt(from, option.level, option.name, theirs, &their_length) < 0 ||
      ::getsockopt(to, option.level, option.name, ours, &our_length) < 0)
    return; // not an option of this kind of socket
  if (their_length == our_length && std::memcmp(theirs, ours, their_length) == 0)
    return;
  ::setsockopt(to, option.level, option.name, theirs, their_length);
}

} // namespace

SocketKind socket_kind(int fd) noexcept {
  SocketKind kind;
  socklen_t length = sizeof(int);
  if (::getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &kind.domain, &length) < 0 ||
      ::getsockopt(fd, SOL_SOCKET, SO_TYPE, &kind.type, &length) < 0 ||
      ::getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &kind.protocol, &length) < 0)
    return SocketKind{};
  return kind;
}

util::UniqueFd socket_twin(int original, const SocketKind& kind) noexcept {
  util::UniqueFd twin(::socket(kind.domain, kind.type | SOCK_CLOEXEC, kind.protocol));
  if (!twin)
    return twin;
  for (const Option& option : socket_options)
    copy_option(original, twin.get(), option);
  if (kind.domain == AF_INET)
    for (const Option& option : ipv4_options)
      copy_option(original, twin.get(), option);
  if (kind.domain == AF_INET6)
    for (const Option& option : ipv6_options)
      copy_option(original, twin.get(), option);
  int flags = ::fcntl(original, F_GETFL);
  if (flags >= 0 && (flags & O_NONBLOCK))
    ::fcntl(twin.get(), F_SETFL, ::fcntl(twin.get(), F_GETFL) | O_NONBLOCK);
  return twin;
}

bool is_tcp(const SocketKind& kind) noexcept {
  return (kind.domain == AF_INET || kind.domain == AF_INET6) && kind.type == SOCK_STREAM &&
         (kind.protocol == IPPROTO_TCP || kind.protocol == 0);
}

} // namespace net
