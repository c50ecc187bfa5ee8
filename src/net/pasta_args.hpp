// pasta's command line and the host facts it depends on: pure builders (unit-tested) used by
// net::Pasta.
#pragma once

#include "net/port_mapping.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace net {

// The address inside the container where pasta answers DNS queries and forwards them to the
// host's first resolver (--dns-forward); podman uses the same link-local address.
inline constexpr std::string_view pasta_dns_ip = "169.254.1.1";

// What one pasta process is started with.
struct PastaCommand {
  std::string netns_path; // the container's network namespace (a /proc/self/fd/N path)
  std::string ready_path; // where pasta writes its pid once the namespace is configured
  bool map_host_loopback = false;      // the gateway address reaches the host's loopback
  std::vector<PortMapping> ports;      // published ports, host ports already chosen (not 0)
  std::vector<std::string> extra_args; // from --network pasta:OPT,OPT
};

// "-t"/"-u" argument for one published port: "127.0.0.1/8080:80" (pasta binds the given
// address; 0.0.0.0 binds every IPv4 address, as Docker does).
std::string pasta_port_spec(const PortMapping& mapping);

// The full argv: foreground, quiet, configured tap, no forwarding from the container back to
// the host's ports (-T/-U none: the host's loopback is not reachable through the container's
// own loopback), the DNS forwarder, --no-map-gw unless host loopback is allowed, the published
// ports, the extra options, the namespace. --runas 0:0 keeps pasta at cove's uid (the user
// itself, or real root): its default of "nobody" cannot join a namespace cove created.
std::vector<std::string> pasta_argv(const PastaCommand& command);

// The IPv4 default gateway in a /proc/net/route text ("192.0.2.1"), or nullopt without one.
// pasta gives the container the host's gateway, and with --map-gw that address is the host.
std::optional<std::string> parse_default_gateway(std::string_view proc_net_route);

// The host's IPv4 default gateway, read from /proc/net/route; nullopt without one.
std::optional<std::string> host_default_gateway();

} // namespace net
