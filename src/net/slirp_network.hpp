// The addresses of a slirp4netns network, from its CIDR (slirp4netns' own rules): the gateway,
// which is the host, at network + 2, the DNS forwarder at + 3, and the container at + 100.
#pragma once

#include "net/ipam.hpp"

#include <string_view>

namespace net {

struct SlirpNetwork {
  Subnet subnet;
  Ipv4 gateway;
  Ipv4 dns;
  Ipv4 guest;

  // The default, 10.0.2.0/24.
  static SlirpNetwork standard();
  // From "10.5.0.0/24": an IPv4 network of prefix 8 to 25 (the container's address, + 100, must
  // fit). Throws util::Error quoting the text.
  static SlirpNetwork parse(std::string_view cidr);
};

} // namespace net
