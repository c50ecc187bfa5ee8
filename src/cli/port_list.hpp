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

// A run of published ports printed as one entry: `range` consecutive host ports forwarded to as
// many consecutive container ports, on one address and protocol (podman's PortMapping).
struct PortRange {
  std::string host_ip;
  std::uint16_t host_port = 0;
  std::uint16_t container_port = 0;
  std::uint16_t range = 1;
  net::Protocol protocol = net::Protocol::tcp;
  friend bool operator==(const PortRange&, const PortRange&) = default;
};

// The mappings sorted as Docker sorts them (private port, host address, host port, protocol),
// with consecutive ports on the same address and protocol merged into ranges.
std::vector<PortRange> collapse_ports(std::vector<net::PortMapping> ports);

// `ps`'s PORTS cell: "127.0.0.1:8080->80/tcp, 0.0.0.0:8000-8001->80-81/tcp" ("" for none).
std::string describe_port_ranges(const std::vector<PortRange>& ranges);

// Docker's lines for one private port: "0.0.0.0:8080" for each binding (none when unpublished).
std::vector<std::string> describe_port(const std::vector<net::PortMapping>& ports,
                                       const PortQuery& query);

} // namespace cli
