#include "net/container_network.hpp"

#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace net {

namespace {

Pasta start_pasta(pid_t pid, const ContainerNetwork::Request& request) {
  Pasta::Options options;
  options.map_host_loopback = request.mode.allow_host_loopback;
  options.extra_args = request.mode.pasta_args;
  options.ports = request.ports;
  if (!request.ports_file.empty())
    options.log_file = request.ports_file.parent_path() / "pasta.log";
  return Pasta::start(pid, options);
}

Slirp4netns::Options slirp_options(const ContainerNetwork::Request& request, int netns_fd) {
  Slirp4netns::Options options;
  options.allow_host_loopback = request.mode.allow_host_loopback;
  if (!request.ports.empty())
    options.api_socket = request.api_socket;
  if (!request.ports_file.empty())
    options.log_file = request.ports_file.parent_path() / "slirp4netns.log";
  options.netns_fd = netns_fd;
  return options;
}

// The published ports, one "0.0.0.0:8080->80/tcp" line each, for `port` and `ps`. They describe
// a running helper, which a crash ends: no fsync (on a container's start path).
void write_ports_file(const std::filesystem::path& path, const std::vector<PortMapping>& ports) {
  if (path.empty())
    return;
  std::string text;
  for (const PortMapping& port : ports)
    text += describe(port) + "\n";
  util::write_file_atomic(path, text, 0644, util::Durability::process_safe);
}

} // namespace

ContainerNetwork ContainerNetwork::connect(pid_t pid, const Request& request) {
  ContainerNetwork network;
  if (request.mode.driver == NetworkDriver::pasta) {
    network.m_pasta.emplace(start_pasta(pid, request));
    network.m_ports = network.m_pasta->ports();
  } else if (request.mode.driver == NetworkDriver::slirp4netns) {
    network.m_slirp.emplace(Slirp4netns::spawn(pid, slirp_options(request, -1)));
    network.finish(request);
    return network;
  } else {
    return network;
  }
  write_ports_file(request.ports_file, network.m_ports);
  return network;
}

std::optional<ContainerNetwork> ContainerNetwork::begin(const Request& request, int netns_fd) {
  if (request.mode.driver != NetworkDriver::slirp4netns || netns_fd < 0)
    return std::nullopt;
  ContainerNetwork network;
  network.m_slirp.emplace(Slirp4netns::spawn(::getpid(), slirp_options(request, netns_fd)));
  return network;
}

void ContainerNetwork::finish(const Request& request) {
  if (!m_slirp)
    return;
  m_slirp->wait_ready();
  for (const PortMapping& port : request.ports)
    m_ports.push_back(m_slirp->publish(port));
  write_ports_file(request.ports_file, m_ports);
}

ContainerNetwork::Request ContainerNetwork::plan(std::string_view network,
                                                 const NetworkOptions& options,
                                                 const std::vector<std::string>& exposed,
                                                 std::filesystem::path api_socket,
                                                 std::filesystem::path ports_file) {
  Request request;
  request.mode = NetworkMode::parse(network);
  request.ports = ports_for_mode(request.mode, options.port_mappings(exposed));
  request.api_socket = std::move(api_socket);
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
