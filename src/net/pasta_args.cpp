#include "net/pasta_args.hpp"

#include "util/fs.hpp"
#include "util/strings.hpp"

#include <cstdint>

namespace net {

std::string pasta_port_spec(const PortMapping& mapping) {
  return util::cat(mapping.host_ip, "/", mapping.host_port, ":", mapping.container_port);
}

std::vector<std::string> pasta_argv(const PastaCommand& command) {
  std::vector<std::string> argv = {"pasta",      "--foreground", "--quiet",     "--runas", "0:0",
                                   "--config-net", "-T",         "none",        "-U",      "none",
                                   "--dns-forward", std::string(pasta_dns_ip)};
  if (!command.map_host_loopback)
    argv.emplace_back("--no-map-gw");
  std::vector<std::string> tcp;
  std::vector<std::string> udp;
  for (const PortMapping& port : command.ports)
    (port.protocol == Protocol::tcp ? tcp : udp).push_back(pasta_port_spec(port));
  // Without -t/-u pasta would forward every port the container binds ("auto").
  if (tcp.empty())
    tcp.emplace_back("none");
  if (udp.empty())
    udp.emplace_back("none");
  for (const std::string& spec : tcp) {
    argv.emplace_back("-t");
    argv.push_back(spec);
  }
  for (const std::string& spec : udp) {
    argv.emplace_back("-u");
    argv.push_back(spec);
  }
  argv.insert(argv.end(), command.extra_args.begin(), command.extra_args.end());
  argv.emplace_back("--pid");
  argv.push_back(command.ready_path);
  argv.emplace_back("--netns");
  argv.push_back(command.netns_path);
  return argv;
}

std::optional<std::string> parse_default_gateway(std::string_view proc_net_route) {
  // Columns: Iface Destination Gateway Flags ...; addresses are hex in host (little-endian)
  // byte order; flag 0x2 (RTF_GATEWAY) marks a route through a gateway.
  std::vector<std::string> lines = util::split(proc_net_route, '\n');
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string> fields;
    for (const std::string& field : util::split(lines[i], '\t'))
      if (!util::trim(field).empty())
        fields.emplace_back(util::trim(field));
    if (fields.size() < 4 || fields[1] != "00000000")
      continue;
    uint32_t gateway = 0;
    unsigned long flags = 0;
    try {
      gateway = static_cast<uint32_t>(std::stoul(fields[2], nullptr, 16));
      flags = std::stoul(fields[3], nullptr, 16);
    } catch (const std::exception&) {
      continue;
    }
    if ((flags & 0x2) == 0 || gateway == 0)
      continue;
    return util::cat(gateway & 0xff, ".", (gateway >> 8) & 0xff, ".", (gateway >> 16) & 0xff, ".",
                     gateway >> 24);
  }
  return std::nullopt;
}

std::optional<std::string> host_default_gateway() {
  std::optional<std::string> text = util::read_file_if_exists("/proc/net/route");
  return text ? parse_default_gateway(*text) : std::nullopt;
}

} // namespace net
