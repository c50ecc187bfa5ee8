#include "net/outside_destination.hpp"

namespace net {

std::optional<SocketAddress> outside_destination(const SocketAddress& address, const Subnet& network,
                                                 Ipv4 gateway, bool allow_host_loopback) noexcept {
  if ((address.family() == AF_INET && address.length < sizeof(sockaddr_in)) ||
      (address.family() == AF_INET6 && address.length < sizeof(sockaddr_in6)))
    return std::nullopt;
  std::optional<uint32_t> ip = address.ipv4();
  if (!ip)
    return std::nullopt;
  if (*ip == gateway.value) {
    if (!allow_host_loopback)
      return std::nullopt;
    return address_in(address.family(), "127.0.0.1", address.port());
  }
  uint32_t first = *ip >> 24;
  if (network.contains(Ipv4{*ip}) || first == 127 || first == 0 || first >= 224)
    return std::nullopt;
  return address;
}

} // namespace net
