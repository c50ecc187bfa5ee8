// PortHandover: a slirp4netns container's published TCP ports handed to the container's own
// program (net/socket_bypass). When the container binds a fresh TCP socket to a published port
// on the wildcard address or its own, the forwarder's listening host socket(s) for the port
// make room for a host socket of the caller's family, bound to the published host address and
// port and guarded (net/socket_guard), which the supervisor puts in place of the caller's. The
// caller's original socket is bound to the port inside the container and relayed
// (SpliceProxy, dialling from cove's namespace) to the host socket, so clients in the container
// and the forwarder's remaining socket of the other family still reach the port.
#pragma once

#include "net/socket_address.hpp"
#include "net/socket_twin.hpp"
#include "util/fd.hpp"

#include <optional>
#include <vector>

namespace net {

class PortForwarder;
class SpliceProxy;

class PortHandover {
public:
  // `forwarder` and `proxy` must outlive the handover; every member is for the thread that runs
  // the proxy. Without `guard_required` (slirp4netns:host_sockets=true, which accepts the
  // race) a socket that cannot be guarded is handed over all the same.
  PortHandover(PortForwarder& forwarder, SpliceProxy& proxy, bool guard_required) noexcept
      : m_forwarder(forwarder), m_proxy(proxy), m_guard_required(guard_required) {}

  struct HostSocket {
    util::UniqueFd socket;      // bound where the port is published, guarded; empty on error
    int error = 0;              // bind(2)'s errno for the host address (taken meanwhile...)
    SocketAddress relay_target; // where cove's namespace reaches it
  };

  // For a bind of the container's fresh TCP socket `theirs` (of `kind`) to `asked`: the host
  // socket to hand over, once the forwarder's have made room. Nothing (nothing done) when
  // `asked` is no published port on the wildcard or `guest` address, or no guarded socket can
  // be made.
  std::optional<HostSocket> take(const util::UniqueFd& theirs, const SocketKind& kind,
                                 const SocketAddress& asked, uint32_t guest) noexcept;

  // The container's own socket `theirs`, bound where it `asked` in its namespace, relays its
  // connections to the host socket at `target` from now on. Fails quietly when that port is
  // already served so.
  void relay_into_container(util::UniqueFd theirs, const SocketAddress& asked,
                            const SocketAddress& target) noexcept;

  // What getsockname() shows the container for `socket`, one of cove's namespace, when it is a
  // handed listener (the address the container bound) or a connection one accepted over IPv4
  // (the container's own address `guest`, on the port it bound). Nothing for any other.
  std::optional<SocketAddress> shown_name(int socket, uint32_t guest) const noexcept;

private:
  struct Handed {
    uint16_t host_port;
    SocketAddress asked;
  };
  PortForwarder& m_forwarder;
  SpliceProxy& m_proxy;
  bool m_guard_required;
  std::vector<int> m_released;                  // forwarder sockets given up
  std::vector<Handed> m_handed;
  std::vector<util::UniqueFd> m_relay_listeners; // the container's original sockets, relayed
};

} // namespace net
