// PortForwarder: publishes a container's ports through a relay thread in the process that
// started the container (cove, or a detached container's monitor): no process of its own. The
// host-side sockets are bound (and listening) before start() returns, so a port in use fails the
// start with a clear error and connections made right after the start wait in the backlog; the
// thread enters the network namespace where the container's address is (setns affects that
// thread alone) and relays each TCP connection there with splice(2) (net/splice_proxy) and each
// UDP client through a socket of its own (net/udp_relay). Published TCP ports so run at nearly
// the speed of the host's loopback instead of through slirp4netns' user-mode TCP stack, and UDP
// replies find their way back to clients on the host's loopback.
#pragma once

#include "net/ipam.hpp"
#include "net/port_mapping.hpp"

#include <memory>
#include <vector>

namespace net {

class PortForwarder {
public:
  // Forwards each of `ports` (a host_port of 0 becomes a free port) to `target`, the
  // container's address in the network namespace `netns_fd` (its own, or the shared one of user
  // networks; the caller must be privileged over it; -1 = the caller's own). Failures of single
  // connections are reported on stderr. Throws util::Error naming the port (in use, privileged)
  // or the failed step.
  static PortForwarder start(std::vector<PortMapping> ports, int netns_fd, Ipv4 target);

  PortForwarder(PortForwarder&& other) noexcept;
  PortForwarder& operator=(PortForwarder&&) = delete;
  PortForwarder(const PortForwarder&) = delete;
  PortForwarder& operator=(const PortForwarder&) = delete;
  // Stops the thread, which closes every connection, and closes the host sockets: the ports are
  // free when this returns.
  ~PortForwarder();

  // The ports as published, with the host ports that were chosen.
  const std::vector<PortMapping>& ports() const noexcept { return m_ports; }

  // A listening host socket of a published TCP port, and the mapping it serves.
  struct HostListener {
    PortMapping mapping;
    int fd = -1;
  };
  // The TCP ports' host sockets, served until release()d.
  std::vector<HostListener> tcp_listeners() const;
  // Stops serving host socket `fd` (one of tcp_listeners()) and closes it: its port is free
  // when this returns, for a socket of the container's own (net/socket_bypass). Safe from any
  // thread: the descriptor number stays taken, by an unbound socket, until the forwarder ends,
  // so the relay thread never accepts on a number reused for something else.
  void release(int fd) noexcept;

private:
  struct Relay;
  PortForwarder(std::unique_ptr<Relay> relay, std::vector<PortMapping> ports);
  std::unique_ptr<Relay> m_relay;
  std::vector<PortMapping> m_ports;
};

// The TCP mappings of `ports` (the forwarder's share) and the others (UDP, for the network
// helper).
std::vector<PortMapping> tcp_ports(const std::vector<PortMapping>& ports);
std::vector<PortMapping> udp_ports(const std::vector<PortMapping>& ports);

} // namespace net
