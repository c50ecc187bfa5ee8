// SocketBypass: the supervisor of a slirp4netns container's socket calls. The container's
// calls come here as seccomp user notifications (net/socket_filter), and a thread of the process
// that started the container (cove, or a detached container's monitor), which stays in cove's
// own network namespace, answers them. Two ways, as the filter was made:
//  - The outbound relay (the default): connect() of a TCP socket to an address outside the
//    container's network (and to the gateway 10.0.2.2 when host loopback is allowed, as the
//    host's 127.0.0.1) is dialled from cove's namespace and relayed into the container over its
//    own loopback (net/outbound_relay); getsockname() and getpeername() of such a socket show
//    what they would without the relay. No socket of cove's namespace is ever in the container.
//  - Published ports handed over (the default; slirp4netns:port_handover=false keeps them in
//    the forwarder): bind() of a TCP socket to the wildcard address (or the container's) on a
//    published port: the forwarder gives up its host socket(s) for the port and the
//    container's socket is replaced by one bound to the published host address and port, so
//    clients connect to the container's program directly, with no relay. The container's
//    original socket is then bound to the port inside the container and relayed to that host
//    socket, so clients in the container (`cove exec … wget localhost`) and host sockets the
//    forwarder still serves (the other IP family) keep reaching the port.
//  - Outbound host sockets (slirp4netns:host_sockets=true), instead of the relay: connect() of
//    a fresh TCP IPv4 socket to an address outside: the socket is replaced by one made here
//    and connected here, so the traffic takes the host's own stack without a relay.
//    slirp4netns makes its connections from the same namespace, so the container reaches
//    nothing it could not reach before.
// Every socket of cove's namespace is guarded before the container gets it, where the kernel
// lets cove (net/socket_guard): whatever the container does with it, it completes no
// connection but the one it was given for, so calls that run as the caller's own (a unix
// socket's connect(), which the kernel reads again after cove looked) are no way out either.
// Where it does not, the published ports are handed over with strict_connects: no connect() of
// the container runs as the caller's own at all (a unix socket's is made by
// net/caller_connect in the caller's context).
// Everything else, and anything that cannot be read or copied, runs as without the filter.
#pragma once

#include "net/ipam.hpp"
#include "net/slirp_network.hpp"
#include "util/fd.hpp"

#include <memory>

namespace net {

class PortForwarder;

class SocketBypass {
public:
  struct Config {
    bool allow_host_loopback = false; // the gateway is the host's loopback
    Subnet network;                   // the container's network: stays in the container
    Ipv4 gateway;                     // the host, in that network
    Ipv4 guest;                       // the container's own address
    // The forwarder of the published ports, whose TCP host sockets are handed over; must
    // outlive the SocketBypass. Null: none handed over.
    PortForwarder* forwarder = nullptr;
    // Outbound TCP connections become host sockets (slirp4netns:host_sockets=true) when no
    // relay is given.
    bool outbound_host_sockets = false;
    // Published ports are handed over where their sockets cannot be guarded: no connect() of
    // the container ever runs as the caller's own, every one is done here (a unix socket's by
    // net/caller_connect, in the caller's context).
    bool strict_connects = false;
  };

  // The configuration for a slirp4netns network (by default 10.0.2.0/24, gateway 10.0.2.2,
  // guest 10.0.2.100).
  static Config slirp4netns(const SlirpNetwork& network, bool allow_host_loopback,
                            PortForwarder* forwarder);

  // Serves the filter's `listener` from a new thread until destroyed: the outbound relay through
  // `relay_listener` (net/outbound_relay's make_relay_listener(), in the container's
  // namespace) when given, host sockets otherwise. Throws util::Error when the thread cannot
  // start.
  static SocketBypass start(util::UniqueFd listener, const Config& config,
                            util::UniqueFd relay_listener = {});

  SocketBypass(SocketBypass&& other) noexcept;
  SocketBypass& operator=(SocketBypass&&) = delete;
  SocketBypass(const SocketBypass&) = delete;
  SocketBypass& operator=(const SocketBypass&) = delete;
  // Stops the thread and closes the listener (the container must be gone: its later connect
  // and bind calls would fail with ENOSYS) and the relays into the container.
  ~SocketBypass();

  struct State;

private:
  explicit SocketBypass(std::unique_ptr<State> state) noexcept;
  std::unique_ptr<State> m_state;
};

} // namespace net
