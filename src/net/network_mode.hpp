// --network values: a pure parser (unit-tested) and the rootless default.
#pragma once

#include "net/etc_files.hpp"
#include "net/slirp_network.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace net {

// Who provides the container's network.
enum class NetworkDriver {
  none,        // own namespace, loopback only
  host,        // the host's namespace
  slirp4netns, // own namespace, user-mode stack by slirp4netns
  pasta,       // own namespace, connected by pasta (package passt)
  container,   // the network namespace of another running container
  bridge,      // a user-defined network (`network create`): a bridge in the shared namespace
};

// One user-defined network a container is on, with its aliases there.
struct UserNetwork {
  std::string name;
  std::vector<std::string> aliases;
  friend bool operator==(const UserNetwork&, const UserNetwork&) = default;
};

// A parsed --network value.
struct NetworkMode {
  NetworkDriver driver = NetworkDriver::none;
  // slirp4netns:allow_host_loopback=true: the host's 127.0.0.1 is reachable at the gateway
  // address 10.0.2.2, and host.containers.internal resolves to it.
  // With pasta the same is spelled pasta:--map-gw (podman's form): the host's loopback is
  // reachable at the host's default gateway address.
  bool allow_host_loopback = false;
  // slirp4netns:port_handover=false: published TCP ports stay in cove's forwarder, which
  // relays every connection into the container. By default the container's bind() to a
  // published port gets the forwarder's listening socket of cove's namespace instead, so
  // clients reach the container's program directly (net/socket_bypass); the socket is guarded
  // (net/socket_guard), or where the kernel refuses that every connect() of the container is
  // made by cove, so that it can never be aimed elsewhere.
  bool port_handover = true;
  // slirp4netns:host_sockets=true: the container's outbound TCP connections become sockets of
  // cove's own namespace too, handed in through seccomp user notifications, instead of going
  // through the outbound relay; its published ports are handed over whatever port_handover
  // says.
  bool host_sockets = false;
  // slirp4netns:outbound_relay=false: the container's outbound TCP connections go through
  // slirp4netns' stack instead of being dialled from cove's namespace and relayed over the
  // container's loopback (net/outbound_relay, the default). Host sockets take precedence.
  bool outbound_relay = true;
  // slirp4netns:mtu=N (68 to 65521; 0 = slirp4netns' default here, 65520), cidr=A.B.C.D/N (the
  // network instead of 10.0.2.0/24; empty = that), enable_ipv6=true (fd00::/64 as well,
  // configured by router advertisement a moment after the start, as with podman).
  unsigned mtu = 0;
  std::string cidr;
  bool enable_ipv6 = false;
  // pasta:OPT,OPT...: further pasta(1) options, passed through in order.
  std::vector<std::string> pasta_args;
  // container:NAME|ID: the container whose network namespace is joined, as given.
  std::string container;
  // NAME[:alias=A,alias=B][+NAME2[:alias=...]]...: the user-defined networks, in order (eth0 is
  // on the first, whose gateway is the default route), each with the container's aliases there.
  std::vector<UserNetwork> networks;

  // Parses "none", "host", "slirp4netns[:OPTION=VALUE,...]" (allow_host_loopback, outbound_relay,
  // port_handover, host_sockets, mtu, cidr, enable_ipv6),
  // "pasta[:OPT,OPT...]", "container:NAME|ID" and user-defined networks "NAME[:alias=A,...]",
  // several joined by '+' (the form `--network A --network B` is stored in). Throws util::Error
  // quoting the value and listing the accepted ones.
  static NetworkMode parse(std::string_view text);
  // The canonical text form; parse(str()) == *this.
  std::string str() const;
  // True when the container gets a network namespace of its own.
  bool private_namespace() const {
    return driver != NetworkDriver::host && driver != NetworkDriver::container;
  }
  // True when a helper process connects the namespace to the outside.
  bool has_helper() const {
    return driver == NetworkDriver::slirp4netns || driver == NetworkDriver::pasta ||
           driver == NetworkDriver::bridge;
  }
  // The addresses of the slirp4netns network (cidr, or the default).
  SlirpNetwork slirp_network() const {
    return cidr.empty() ? SlirpNetwork::standard() : SlirpNetwork::parse(cidr);
  }
  // The entry for user-defined network `name`, or nullptr.
  const UserNetwork* find_network(std::string_view name) const;
  // What the generated /etc files must assume.
  NetworkKind etc_kind() const;
  friend bool operator==(const NetworkMode&, const NetworkMode&) = default;
};

// The mode for an empty --network: slirp4netns when installed, else pasta when installed, else
// the host's network (with a warning, since the container is then not isolated). Root gets the
// same choice: cove has no bridge of its own yet.
NetworkMode default_network_mode();

} // namespace net
