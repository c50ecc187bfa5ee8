// What `cove port` prints: the published ports a running container's network helper recorded
// (containers/<id>/userdata/ports, "0.0.0.0:8080->80/tcp" lines) in Docker's form. Pure.
#pragma once

#include "net/port_mapping.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cli {

// Parses the recorded lines ("IP:HOSTPORT->PORT/PROTO"); throws util::Error quoting a bad one.
std::vector<net::PortMapping> parse_published_ports(std::string_view text);

// `port CTR PRIVATE_PORT[/PROTO]`: the port asked for (the protocol defaults to tcp, as Docker).
struct PortQuery {
  std::uint16_t port = 0;
  net::Protocol protocol = net::Protocol::tcp;
};

// Parses "80", "80/tcp", "53/udp"; throws util::Error quoting the text.
PortQuery parse_port_query(std::string_view text);

// Docker's lines: "80/tcp -> 0.0.0.0:8080" for every mapping, sorted by private port, protocol
// and host address.
std::vector<std::string> describe_all_ports(std::vector<net::PortMapping> ports);

// Docker's lines for one private port: "0.0.0.0:8080" for each binding (none when unpublished).
std::vector<std::string> describe_port(const std::vector<net::PortMapping>& ports,
                                       const PortQuery& query);

} // namespace cli
