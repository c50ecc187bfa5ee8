// A socket address as a value (the kind a caught connect or bind passed, or one cove builds),
// with the few conversions the host-socket supervisor needs.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>

namespace net {

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;

  int family() const noexcept { return storage.ss_family; }
  const sockaddr* get() const noexcept { return reinterpret_cast<const sockaddr*>(&storage); }
  sockaddr_in& v4() noexcept { return reinterpret_cast<sockaddr_in&>(storage); }
  const sockaddr_in& v4() const noexcept { return reinterpret_cast<const sockaddr_in&>(storage); }
  sockaddr_in6& v6() noexcept { return reinterpret_cast<sockaddr_in6&>(storage); }
  const sockaddr_in6& v6() const noexcept { return reinterpret_cast<const sockaddr_in6&>(storage); }
  // The port of an AF_INET or AF_INET6 address.
  uint16_t port() const noexcept;
  // The IPv4 address (host order) of an AF_INET address or a v4-mapped AF_INET6 one.
  std::optional<uint32_t> ipv4() const noexcept;
};

// 127.0.0.1-style text (as a PortMapping holds it) in `family`: IPv4 text becomes v4-mapped in
// AF_INET6; nothing for IPv6 text in AF_INET or text that is no address.
std::optional<SocketAddress> address_in(int family, const std::string& text, uint16_t port) noexcept;

// IPv4 address `ip` (host order) and `port` in `family`: v4-mapped for AF_INET6.
SocketAddress ipv4_in(int family, uint32_t ip, uint16_t port) noexcept;

} // namespace net
