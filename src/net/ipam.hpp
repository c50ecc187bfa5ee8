// IPv4 addresses, subnets and address management for user-defined networks (pure, unit-tested):
// parsing CIDR text, picking a free /24 subnet the way podman does (10.89.0.0/24, 10.89.1.0/24,
// ...) and the lowest free host address in a subnet.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace net {

// One IPv4 address, host byte order.
struct Ipv4 {
  uint32_t value = 0;

  // Parses dotted-quad text ("10.89.0.2"); throws util::Error quoting the text.
  static Ipv4 parse(std::string_view text);
  std::string str() const;
  friend auto operator<=>(const Ipv4&, const Ipv4&) = default;
};

// An IPv4 subnet: its network address and prefix length.
struct Subnet {
  Ipv4 network;
  unsigned prefix = 24;

  // Parses "10.89.0.0/24". Host bits must be zero and the prefix between 8 and 30 (a bridge needs
  // a gateway and at least one container). Throws util::Error quoting the text.
  static Subnet parse(std::string_view text);
  std::string str() const;
  uint32_t mask() const;
  bool contains(Ipv4 address) const;
  bool overlaps(const Subnet& other) const;
  // The first usable host address (network + 1), podman's default gateway.
  Ipv4 first_host() const;
  // The broadcast address (all host bits set).
  Ipv4 broadcast() const;
  friend bool operator==(const Subnet&, const Subnet&) = default;
};

// The first /24 of 10.89.0.0/16 that overlaps none of `used`; then the same search in
// 10.90.0.0/16 up to 10.99.255.0/24. Throws util::Error when all are taken.
Subnet allocate_subnet(const std::vector<Subnet>& used);

// The lowest host address of `subnet` that is neither the network, the broadcast, `gateway` nor
// in `used`; nullopt when the subnet is full.
std::optional<Ipv4> allocate_address(const Subnet& subnet, Ipv4 gateway,
                                     const std::vector<Ipv4>& used);

} // namespace net
