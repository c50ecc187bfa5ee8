#include "net/container_network.hpp"

#include "net/namespace_fd.hpp"
#include "net/etc_files.hpp"
#include "net/ports_file.hpp"
#include "net/socket_guard.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

#include <fcntl.h>

namespace net {

namespace {

std::filesystem::path helper_log(const ContainerNetwork::Request& request, const char* name) {
  return request.ports_file.empty() ? std::filesystem::path()
                                    : request.ports_file.parent_path() / name;
}

Pasta start_pasta(pid_t pid, const ContainerNetwork::Request& request) {
  Pasta::Options options;
  options.map_host_loopback = request.mode.allow_host_loopback;
  options.extra_args = request.mode.pasta_args;
  options.ports = tcp_ports(request.ports); // its splice path; UDP goes through the forwarder
  options.log_file = helper_log(request, "pasta.log");
  return Pasta::start(pid, options);
}

Slirp4netns::Options slirp_options(const ContainerNetwork::Request& request, int netns_fd) {
  Slirp4netns::Options options;
  options.allow_host_loopback = request.mode.allow_host_loopback;
  if (request.mode.mtu != 0)
    options.mtu = request.mode.mtu;
  options.cidr = request.mode.cidr;
  options.enable_ipv6 = request.mode.enable_ipv6;
  options.log_file = helper_log(request, "slirp4netns.log");
  options.netns_fd = netns_fd;
  return options;
}

} // namespace

ContainerNetwork ContainerNetwork::connect(pid_t pid, const Request& request) {
  ContainerNetwork network;
  if (request.mode.driver == NetworkDriver::pasta) {
    network.m_pasta.emplace(start_pasta(pid, request));
    network.m_ports = network.m_pasta->ports();
    std::vector<PortMapping> udp = udp_ports(request.ports);
    if (!udp.empty()) {
      // pasta gives the container the host's addresses: its own loopback is the one address
      // sure to be there, and where pasta's own forwarding delivers too.
      network.m_netns = open_namespace(pid, "net");
      network.forward(std::move(udp), Ipv4::parse("127.0.0.1"));
    }
    write_ports_file(request.ports_file, network.m_ports);
  } else if (request.mode.driver == NetworkDriver::slirp4netns) {
    network.m_slirp.emplace(Slirp4netns::spawn(pid, slirp_options(request, -1)));
    if (!request.ports.empty())
      network.m_netns = open_namespace(pid, "net");
    network.finish(request);
  }
  return network;
}

std::optional<ContainerNetwork> ContainerNetwork::begin(const Request& request, int netns_fd) {
  if (request.mode.driver != NetworkDriver::slirp4netns || netns_fd < 0)
    return std::nullopt;
  ContainerNetwork network;
  network.m_slirp.emplace(Slirp4netns::spawn(::getpid(), slirp_options(request, netns_fd)));
  if (!request.ports.empty())
    network.m_netns.reset(::fcntl(netns_fd, F_DUPFD_CLOEXEC, 0));
  return network;
}

void ContainerNetwork::finish(const Request& request) {
  if (!m_slirp)
    return;
  m_slirp->wait_ready();
  forward(request.ports, request.mode.slirp_network().guest);
  write_ports_file(request.ports_file, m_ports);
}

namespace {

// Whether the container's published TCP ports are handed over (net/socket_bypass).
bool hands_over_ports(const ContainerNetwork::Request& request) {
  return (request.mode.host_sockets || request.mode.port_handover) &&
         !tcp_ports(request.ports).empty();
}

} // namespace

std::optional<SocketFilter> ContainerNetwork::socket_filter(const Request& request) {
  if (request.mode.driver != NetworkDriver::slirp4netns)
    return std::nullopt;
  SocketFilter filter;
  filter.relay = request.mode.outbound_relay && !request.mode.host_sockets;
  filter.host_sockets = request.mode.host_sockets || hands_over_ports(request);
  if (!filter.relay && !filter.host_sockets)
    return std::nullopt;
  return filter;
}

void ContainerNetwork::serve_sockets(util::UniqueFd listener, util::UniqueFd relay_listener,
                                     const Request& request) {
  PortForwarder* forwarder = m_forwarder && hands_over_ports(request) ? &*m_forwarder : nullptr;
  SocketBypass::Config config = SocketBypass::slirp4netns(
      request.mode.slirp_network(), request.mode.allow_host_loopback, forwarder);
  config.outbound_host_sockets = request.mode.host_sockets;
  // Handed sockets this process cannot guard (net/socket_guard): no connect of the container
  // may run as its own then. host_sockets=true accepts that race instead.
  config.strict_connects = forwarder && !request.mode.host_sockets && !tcp_guards_available();
  m_bypass.emplace(SocketBypass::start(std::move(listener), config, std::move(relay_listener)));
}

void ContainerNetwork::forward(std::vector<PortMapping> ports, Ipv4 target) {
  if (!ports.empty()) {
    if (!m_netns)
      throw util::Error("publish ports: the container's network namespace is not open");
    m_forwarder.emplace(PortForwarder::start(std::move(ports), m_netns.get(), target));
    m_ports.insert(m_ports.end(), m_forwarder->ports().begin(), m_forwarder->ports().end());
  }
  m_netns.reset();
}

ContainerNetwork::Request ContainerNetwork::plan(std::string_view network,
                                                 const NetworkOptions& options,
                                                 const std::vector<std::string>& exposed,
                                                 std::filesystem::path ports_file) {
  Request request;
  request.mode = NetworkMode::parse(network);
  request.ports = ports_for_mode(request.mode, options.port_mappings(exposed));
  request.ports_file = std::move(ports_file);
  return request;
}

std::vector<PortMapping> ports_for_mode(const NetworkMode& mode, std::vector<PortMapping> ports) {
  if (ports.empty() || mode.has_helper())
    return ports;
  if (mode.driver == NetworkDriver::host) {
    util::log::warning("published ports are discarded when using the host network");
    return {};
  }
  throw util::Error(util::cat("cannot publish ports with --network ", mode.str(),
                              ": the container has no network to forward them to"));
}

} // namespace net
