// Attaching a container to user-defined networks: for each network a bridge in the shared
// network namespace (created on first use, isolated from the other bridges by unreachable
// rules), a veth pair with one end in the container (eth0, eth1, ...), an address from the
// network's subnet recorded as an endpoint, the default route via the first network's gateway,
// published ports forwarded to the container's address, and the peers' names in /etc/hosts.
#pragma once

#include "net/ipam.hpp"
#include "net/network_mode.hpp"
#include "net/port_forwarder.hpp"
#include "net/port_mapping.hpp"
#include "util/fd.hpp"

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace net {

class NetnsLease;
class NetlinkSocket;
struct Endpoint;

struct BridgeRequest {
  std::vector<UserNetwork> networks; // names or ids with the aliases there, in order (eth0 is
                                     // on the first)
  std::string container_id;
  std::string container_name;
  std::filesystem::path storage_root;
  std::filesystem::path hosts_file; // the container's generated /etc/hosts
  std::filesystem::path ports_file; // where published ports are recorded; empty = nowhere
  std::vector<PortMapping> ports;   // -p / -P
};

class BridgeAttachment {
public:
  // Attaches the network namespace of `pid` (a container that has not started its command) as
  // requested, under the network lock. Throws util::Error; what was set up is released.
  static BridgeAttachment attach(pid_t pid, const BridgeRequest& request, const NetnsLease& lease);

  BridgeAttachment(BridgeAttachment&& other) noexcept;
  BridgeAttachment& operator=(BridgeAttachment&&) = delete;
  BridgeAttachment(const BridgeAttachment&) = delete;
  BridgeAttachment& operator=(const BridgeAttachment&) = delete;
  // Releases the container's endpoints once it has exited (addresses, ports, hosts entries).
  ~BridgeAttachment();

  // The ports as published.
  const std::vector<PortMapping>& ports() const noexcept { return m_ports; }

private:
  BridgeAttachment() = default;
  std::filesystem::path m_storage_root;
  util::UniqueFd m_netns; // the shared namespace, for removing veths at release
  std::optional<PortForwarder> m_forwarder; // the TCP ports
  std::vector<PortMapping> m_ports;
  bool m_active = false;
};

// Deletes the host ends of the veth pairs of `dead` endpoints (the container ends go with them),
// in the shared namespace `holder` is a socket of. A container's network namespace is torn down
// asynchronously by the kernel, and until then its veth keeps its address and MAC (derived from
// the address) on the bridge, where a new owner of the address would be shadowed. Never throws.
void remove_endpoint_links(NetlinkSocket& holder, const std::vector<Endpoint>& dead) noexcept;

// `network connect` of a running container already on a user network (so in the shared
// namespace's user namespace): it joins `network` as the next ethN, with its aliases there,
// under the network lock; the peers' hosts files learn its name. Throws util::Error (also when
// it is connected already).
void connect_running(pid_t pid, const std::string& container_id, const UserNetwork& network,
                     const std::filesystem::path& storage_root, const NetnsLease& lease);

// `network disconnect` of a running container: its interface on `network` is deleted and its
// endpoint and names go. Nothing happens when it has no endpoint there. Refused for the network
// carrying its published ports. When `network` carried the default route (the first one),
// `default_via` names the network that takes it over: the container's default route then goes
// through that network's gateway (none for an internal network). Throws util::Error.
void disconnect_running(const std::string& container_id, const std::string& network,
                        const std::filesystem::path& storage_root, const NetnsLease& lease,
                        const std::string* default_via = nullptr);

} // namespace net
