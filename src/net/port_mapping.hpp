// -p / --publish specifications: a pure parser (unit-tested) from Docker's text form to one
// PortMapping per forwarded port.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace net {

// The transport of a published port.
enum class Protocol { tcp, udp };

// "tcp" or "udp".
std::string_view to_string(Protocol protocol);

// One forwarded port. host_port 0 means "any free port", chosen when the port is published.
struct PortMapping {
  std::string host_ip = "0.0.0.0"; // address the host side binds (IPv4, or IPv6 without brackets)
  uint16_t host_port = 0;
  uint16_t container_port = 0;
  Protocol protocol = Protocol::tcp;
  // No address was given: like Docker, a TCP port is then also published on [::] where the
  // host has IPv6 (by cove's forwarder; pasta and slirp4netns bind 0.0.0.0 only).
  bool dual_stack = false;
  friend bool operator==(const PortMapping&, const PortMapping&) = default;
};

// True for IPv6 address text (it has a colon).
bool is_ipv6(std::string_view ip);

// "127.0.0.1:8080" or "[::1]:8080".
std::string host_address(const PortMapping& mapping);

// Parses "[IP:][HOSTPORT:]CONTAINERPORT[/tcp|/udp]" (an IPv6 IP in brackets), where both ports may be ranges "A-B" of
// the same length (a host range with a single container port is rejected, as in podman). An
// empty HOSTPORT ("IP::80") means any free port. Throws util::Error quoting the text.
std::vector<PortMapping> parse_port_mapping(std::string_view text);

// The image's EXPOSE entries ("80/tcp", "53/udp", "8000-8002") as mappings to any free host
// port, for -P. Throws util::Error for a malformed entry.
std::vector<PortMapping> exposed_port_mappings(const std::vector<std::string>& exposed);

// "127.0.0.1:8080->80/tcp" or "[::]:8080->80/tcp", the form `docker ps` prints.
std::string describe(const PortMapping& mapping);

} // namespace net
