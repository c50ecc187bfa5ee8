#include "net/socket_address.hpp"

#include <arpa/inet.h>

#include <cstring>

namespace net {

uint16_t SocketAddress::port() const noexcept {
  return ntohs(family() == AF_INET ? v4().sin_port : v6().sin6_port);
}

std::optional<uint32_t> SocketAddress::ipv4() const noexcept {
  if (family() == AF_INET)
    return ntohl(v4().sin_addr.s_addr);
  if (family() == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&v6().sin6_addr)) {
    uint32_t v4;
    std::memcpy(&v4, &v6().sin6_addr.s6_addr[12], sizeof v4);
    return ntohl(v4);
  }
  return std::nullopt;
}

std::optional<SocketAddress> address_in(int family, const std::string& text, uint16_t port) noexcept {
  SocketAddress a;
  if (family == AF_INET) {
    a.v4().sin_family = AF_INET;
    a.v4().sin_port = htons(port);
    if (::inet_pton(AF_INET, text.c_str(), &a.v4().sin_addr) != 1)
      return std::nullopt;
    a.length = sizeof(sockaddr_in);
    return a;
  }
  a.v6().sin6_family = AF_INET6;
  a.v6().sin6_port = htons(port);
  if (::inet_pton(AF_INET6, text.c_str(), &a.v6().sin6_addr) != 1) {
    in_addr v4{};
    if (::inet_pton(AF_INET, text.c_str(), &v4) != 1)
      return std::nullopt;
    a.v6().sin6_addr.s6_addr[10] = 0xff;
    a.v6().sin6_addr.s6_addr[11] = 0xff;
    std::memcpy(&a.v6().sin6_addr.s6_addr[12], &v4, sizeof v4);
  }
  a.length = sizeof(sockaddr_in6);
  return a;
}

SocketAddress ipv4_in(int family, uint32_t ip, uint16_t port) noexcept {
  SocketAddress a;
  if (family == AF_INET) {
    a.v4().sin_family = AF_INET;
    a.v4().sin_port = htons(port);
    a.v4().sin_addr.s_addr = htonl(ip);
    a.length = sizeof(sockaddr_in);
  } else {
    a.v6().sin6_family = AF_INET6;
    a.v6().sin6_port = htons(port);
    a.v6().sin6_addr.s6_addr[10] = 0xff;
    a.v6().sin6_addr.s6_addr[11] = 0xff;
    uint32_t net_order = htonl(ip);
    std::memcpy(&a.v6().sin6_addr.s6_addr[12], &net_order, sizeof net_order);
    a.length = sizeof(sockaddr_in6);
  }
  return a;
}

} // namespace net
