#include "net/slirp_network.hpp"

#include "util/error.hpp"
#include "util/strings.hpp"

namespace net {

SlirpNetwork SlirpNetwork::standard() { return parse("10.0.2.0/24"); }

SlirpNetwork SlirpNetwork::parse(std::string_view cidr) {
  SlirpNetwork network;
  network.subnet = Subnet::parse(cidr);
  if (network.subnet.prefix > 25)
    throw util::Error(util::cat("invalid slirp4netns cidr ", util::quote(cidr),
                                ": the prefix must be 25 or shorter (the container is at "
                                "address 100 of the network)"));
  uint32_t base = network.subnet.network.value;
  network.gateway = Ipv4{base + 2};
  network.dns = Ipv4{base + 3};
  network.guest = Ipv4{base + 100};
  return network;
}

} // namespace net
