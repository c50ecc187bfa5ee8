// --network values: a pure parser (unit-tested) and the rootless default.
#pragma once

#include "net/etc_files.hpp"

#include <string>
#include <string_view>

namespace net {

// Who provides the container's network.
enum class NetworkDriver {
  none,        // own namespace, loopback only
  host,        // the host's namespace
  slirp4netns, // own namespace, user-mode stack by slirp4netns
};

// A parsed --network value.
struct NetworkMode {
  NetworkDriver driver = NetworkDriver::none;
  // slirp4netns:allow_host_loopback=true: the host's 127.0.0.1 is reachable at the gateway
  // address 10.0.2.2, and host.containers.internal resolves to it.
  bool allow_host_loopback = false;

  // Parses "none", "host", "slirp4netns[:allow_host_loopback=true|false]". Throws
  // util::Error quoting the value and listing the accepted ones.
  static NetworkMode parse(std::string_view text);
  // The canonical text form; parse(str()) == *this.
  std::string str() const;
  // True when the container gets a network namespace of its own.
  bool private_namespace() const { return driver != NetworkDriver::host; }
  // True when a helper process connects the namespace to the outside.
  bool has_helper() const { return driver == NetworkDriver::slirp4netns; }
  // What the generated /etc files must assume.
  NetworkKind etc_kind() const;
  friend bool operator==(const NetworkMode&, const NetworkMode&) = default;
};

// The mode for an empty --network: slirp4netns when installed, else the host's network (with a
// warning, since the container is then not isolated). Root gets the same choice: cove has no
// bridge of its own yet.
NetworkMode default_network_mode();

} // namespace net
