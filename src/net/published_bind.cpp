#include "net/published_bind.hpp"

#include <algorithm>

namespace net {

std::optional<PublishedBind> published_bind(const std::vector<PortForwarder::HostListener>& listeners,
                                            const std::vector<int>& released, int family,
                                            bool v6only, uint16_t port) {
  const PortForwarder::HostListener* v4 = nullptr;
  const PortForwarder::HostListener* v6 = nullptr;
  for (const PortForwarder::HostListener& l : listeners) {
    if (l.mapping.container_port != port)
      continue;
    (is_ipv6(l.mapping.host_ip) ? v6 : v4) = &l;
  }
  PublishedBind bind;
  const PortForwarder::HostListener* chosen = nullptr;
  if (family == AF_INET) {
    chosen = v4;
    if (v4)
      bind.release = {v4->fd};
  } else if (!v6only && v4 && v6 && v4->mapping.host_ip == "0.0.0.0" && v6->mapping.host_ip == "::") {
    chosen = v6; // [::] taking IPv4 as well
    bind.release = {v4->fd, v6->fd};
  } else if (!v6only && v4) {
    chosen = v4; // ::ffff:a.b.c.d: IPv4 only, like the port
    bind.release = {v4->fd};
  } else if (v6) {
    chosen = v6;
    bind.force_v6only = !v6only;
    bind.release = {v6->fd};
  }
  if (chosen == nullptr)
    return std::nullopt;
  std::optional<SocketAddress> address =
      address_in(family, chosen->mapping.host_ip, chosen->mapping.host_port);
  if (!address)
    return std::nullopt;
  bind.address = *address;
  std::erase_if(bind.release, [&](int fd) {
    return std::find(released.begin(), released.end(), fd) != released.end();
  });
  // Relayed connections come from cove's namespace: to the loopback address of the family a
  // wildcard socket takes, or to the address it is bound to.
  const std::string& ip = chosen->mapping.host_ip;
  bool ipv4_reaches = family == AF_INET || (!v6only && !bind.force_v6only);
  std::string target = ip == "0.0.0.0" || (ip == "::" && ipv4_reaches) ? "127.0.0.1"
                       : ip == "::"                                    ? "::1"
                                                                       : ip;
  std::optional<SocketAddress> relay =
      address_in(is_ipv6(target) ? AF_INET6 : AF_INET, target, chosen->mapping.host_port);
  if (!relay)
    return std::nullopt;
  bind.relay_target = *relay;
  return bind;
}

} // namespace net
