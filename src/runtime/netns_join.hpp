// --network container:NAME: a container joins the network namespace of another running one, and
// uses its /etc/hosts, /etc/resolv.conf and host name (Docker's rule).
//
// The other container's network namespace belongs to the user namespace its cove created. A
// fresh cove user namespace is a sibling of that one and has no capability over it, so a
// rootless cove that starts such a container first joins the other container's user namespace
// (from the host, where the user owns it), then takes a mount namespace of its own there.
#pragma once

#include "runtime/container_state.hpp"
#include "storage/container_store.hpp"

#include <filesystem>
#include <string>

namespace runtime {

// The running container whose network is shared.
struct NetworkPeer {
  std::string id;
  std::string name;
  ProcessId process;               // its init, as a host pid
  std::filesystem::path userdata;  // its generated hosts, hostname and resolv.conf
};

// Looks up `name` (name, id or id prefix) and checks that it is running. Throws util::Error
// "no such container" or "container X is not running: ...".
NetworkPeer find_network_peer(const storage::ContainerStore& containers, const std::string& name);

// Joins the user namespace of the container named by `network` ("container:NAME") when that
// mode is asked for and the namespace is not already ours; a no-op otherwise. Call it before
// userns::ensure_in_userns and before any thread starts: ensure_in_userns then finds this
// process uid 0 and only adds a private mount namespace. Throws util::Error.
void enter_network_peer_userns(const storage::ContainerStore& containers,
                               const std::string& network);

// Moves this process into the peer's network namespace, so that a container cloned afterwards
// without CLONE_NEWNET shares it. Throws util::Error when the peer is gone or the namespace
// cannot be joined (naming the reason).
void join_peer_network(const NetworkPeer& peer);

// Copies the peer's hosts, hostname and resolv.conf into `userdata` (which must exist) and
// returns its host name.
std::string adopt_peer_etc_files(const NetworkPeer& peer, const std::filesystem::path& userdata);

} // namespace runtime
