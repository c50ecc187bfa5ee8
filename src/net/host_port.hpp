// The host side of a published port: binding host_ip:host_port, with the errors a user can act
// on (the port is in use, or below net.ipv4.ip_unprivileged_port_start).
#pragma once

#include "net/port_mapping.hpp"
#include "util/fd.hpp"

#include <cstdint>

namespace net {

// A socket of the mapping's protocol bound to host_ip:host_port (not yet listening). A host_port
// of 0 is replaced by the free port the kernel chose. TCP sockets get SO_REUSEADDR (a port whose
// last connections are in TIME_WAIT can be published again); UDP sockets do not, which would hide
// a real conflict. Throws util::Error explaining why the port cannot be used.
util::UniqueFd bind_host_port(PortMapping& mapping);

// Binds and releases host_ip:port to find out whether a helper (pasta) can publish
// it; throws as bind_host_port() does. Port 0 asks for a free port, which is returned.
uint16_t check_host_port(const PortMapping& mapping);

} // namespace net
