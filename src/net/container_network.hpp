// ContainerNetwork: connects one container's private network namespace to the outside (the
// slirp4netns or pasta helper) and publishes its ports; owns the helpers for the container's
// life. Published ports go through cove's forwarder (net/port_forwarder), except TCP ports with
// pasta, which pasta forwards itself (its splice path).
#pragma once

#include "net/network_mode.hpp"
#include "net/network_options.hpp"
#include "net/pasta.hpp"
#include "net/port_forwarder.hpp"
#include "net/port_mapping.hpp"
#include "net/slirp4netns.hpp"
#include "net/socket_bypass.hpp"
#include "net/socket_filter.hpp"
#include "util/fd.hpp"

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string_view>
#include <vector>

namespace net {

class ContainerNetwork {
public:
  struct Request {
    NetworkMode mode;
    std::vector<PortMapping> ports; // -p and -P, host_port 0 = any free port
    // Where the published ports are recorded ("0.0.0.0:8080->80/tcp" lines); empty = nowhere.
    // pasta's log goes beside it (pasta.log).
    std::filesystem::path ports_file;
  };

  // The request for a container with network mode text `network` (as stored in its spec),
  // its network options and its image's EXPOSE list. Throws util::Error for invalid values.
  static Request plan(std::string_view network, const NetworkOptions& options,
                      const std::vector<std::string>& exposed, std::filesystem::path ports_file);

  // Connects the namespace of `pid` (a container that has not started its command yet) and
  // publishes the ports. A mode without a helper (none, host) does nothing. Throws util::Error.
  static ContainerNetwork connect(pid_t pid, const Request& request);

  // For slirp4netns and a namespace made ahead of the container (`netns_fd`, open): starts the
  // helper without waiting for it, so that it sets itself up while the caller prepares the
  // container; finish() then waits for it and publishes the ports. nullopt for every other
  // mode (connect() after the clone serves those).
  static std::optional<ContainerNetwork> begin(const Request& request, int netns_fd);
  void finish(const Request& request);
  // The helper's ready pipe while nobody has waited on it (-1 otherwise): a process that reads
  // the ready byte itself calls ready_seen() before finish(), which then does not wait.
  int ready_fd() const noexcept { return m_slirp ? m_slirp->ready_fd() : -1; }
  void ready_seen() noexcept {
    if (m_slirp)
      m_slirp->ready_seen();
  }

  // The ports as published, with the host ports that were chosen.
  const std::vector<PortMapping>& ports() const noexcept { return m_ports; }

  // The socket filter the container's calls should go through (net/socket_bypass;
  // ChildPlan::socket_filter), slirp4netns only: the outbound relay, published TCP ports handed
  // over, host sockets; none when nothing of that is wanted, and for every other mode.
  static std::optional<SocketFilter> socket_filter(const Request& request);
  // Serves the container's socket filter `listener` from now on, after connect() or finish():
  // the outbound relay through `relay_listener` when given. Throws util::Error when its thread
  // cannot start.
  void serve_sockets(util::UniqueFd listener, util::UniqueFd relay_listener,
                     const Request& request);

private:
  // Starts the forwarder for `ports` into m_netns (then closed), towards `target`.
  void forward(std::vector<PortMapping> ports, Ipv4 target);

  std::optional<Slirp4netns> m_slirp;
  std::optional<Pasta> m_pasta;
  std::optional<PortForwarder> m_forwarder; // slirp4netns: every port; pasta: UDP ports
  util::UniqueFd m_netns;                   // the namespace, until the forwarder is started
  std::optional<SocketBypass> m_bypass;     // after m_forwarder: stopped before it
  std::vector<PortMapping> m_ports;
};

// Checks that `ports` make sense for `mode` before anything is started: they need a private
// network with a helper. With the host network they are dropped with a warning (Docker's rule).
std::vector<PortMapping> ports_for_mode(const NetworkMode& mode, std::vector<PortMapping> ports);

} // namespace net
