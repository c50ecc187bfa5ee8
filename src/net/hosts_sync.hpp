// Name resolution on user-defined networks through /etc/hosts: every running container's hosts
// file (bind-mounted into it) ends with a section naming the live containers on its networks,
// rewritten in place (the bind mount pins the inode) whenever one starts or goes away.
#pragma once

#include "net/network_store.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace net {

// One peer line: an address and its names (container name, then aliases).
struct HostsPeer {
  Ipv4 address;
  std::vector<std::string> names;
};

// `current` with its peers section (from the marker line to the end) replaced by `peers`. A name
// is listed once, on its first peer.
std::string hosts_with_peers(std::string_view current, const std::vector<HostsPeer>& peers);

// The peers of the container `container_id`: every live endpoint on the networks it is on, its
// own first.
std::vector<HostsPeer> peers_of(std::string_view container_id,
                                const std::vector<NetworkRecord>& records);

// Rewrites the hosts file of every endpoint in `records` in place. Errors are logged (a
// container whose file is gone is about to be released).
void sync_hosts(const std::vector<NetworkRecord>& records) noexcept;

} // namespace net
