// cove port: a running container's published ports as Docker prints them, from what its network
// helper recorded when it published them (host ports chosen for -P included).
#include "cli/commands.hpp"
#include "cli/container_access.hpp"
#include "cli/port_list.hpp"

#include "runtime/control.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

#include <iostream>
#include <memory>

namespace cli {

namespace {

struct PortFlags {
  std::string container;
  std::string port; // PRIVATE_PORT[/PROTO], optional
};

int port(const Invocation& inv, const PortFlags& flags) {
  std::optional<PortQuery> query;
  if (!flags.port.empty())
    query = parse_port_query(flags.port);
  storage::ContainerStore containers = host_containers(inv);
  ContainerView view = view_of(containers, find_container(containers, flags.container));
  std::vector<net::PortMapping> ports = published_ports(containers, view);
  std::vector<std::string> lines = query ? describe_port(ports, *query) : describe_all_ports(ports);
  if (query && lines.empty())
    throw util::Error(util::cat("no public port '", query->port, "/",
                                net::to_string(query->protocol), "' published for ",
                                view.record.name));
  for (const std::string& line : lines)
    std::cout << line << '\n';
  return 0;
}

} // namespace

CLI::App* add_port_command(CLI::App& parent, Invocation& inv) {
  auto flags = std::make_shared<PortFlags>();
  CLI::App* cmd = parent.add_subcommand("port", "List a container's published ports");
  cmd->add_option("CONTAINER", flags->container, "Container name or id")->required();
  cmd->add_option("PRIVATE_PORT", flags->port, "Only this container port: PORT[/PROTO]");
  cmd->callback([flags, &inv] { inv.action = [flags, &inv] { return port(inv, *flags); }; });
  return cmd;
}

} // namespace cli
