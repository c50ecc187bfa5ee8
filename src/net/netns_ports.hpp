// Host forwards of slirp4netns, added to (and removed from) it through its API socket: the UDP
// ports published by containers (on user-defined networks, towards the container's own address
// on its bridge, through the shared namespace's slirp4netns).
#pragma once

#include "net/ipam.hpp"
#include "net/port_mapping.hpp"

#include <filesystem>

namespace net {

// Forwards host_ip:host_port (0: a free port, chosen first) to guest:container_port. Returns the
// forward's id; `mapping.host_port` is set to the port used. Throws util::Error naming the port
// and the reason (in use, privileged).
int add_forward(const std::filesystem::path& api_socket, PortMapping& mapping, Ipv4 guest);

// Removes the forward `id`. Throws util::Error.
void remove_forward(const std::filesystem::path& api_socket, int id);

} // namespace net
