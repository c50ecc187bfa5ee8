#include "cli/network_connect.hpp"

#include "cli/container_access.hpp"
#include "cli/network_lease.hpp"

#include "net/bridge.hpp"
#include "net/network_mode.hpp"
#include "net/network_store.hpp"
#include "runtime/control.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <memory>

namespace cli {

namespace {

struct ConnectFlags {
  std::vector<std::string> aliases;
  std::string network;
  std::string container;
};

// The container's network mode, which must name user-defined networks: cove connects
// containers through the shared namespace they live in, which a container with its own
// slirp4netns or pasta, or the host's network, is not part of.
net::NetworkMode user_networks_of(const storage::ContainerRecord& record, std::string_view verb) {
  std::string text = record.spec.value("network", std::string());
  net::NetworkMode mode = net::NetworkMode::parse(text.empty() ? "host" : text);
  if (mode.driver != net::NetworkDriver::bridge)
    throw util::Error(util::cat("network ", verb, ": container ", record.name,
                                " uses network mode ", util::quote(mode.str()),
                                ": only containers on user-defined networks (run --network NAME) "
                                "can be connected to or disconnected from one"));
  return mode;
}

// The running container's init pid, or 0 when it does not run.
pid_t running_pid(const Invocation& inv, storage::ContainerRecord& record) {
  runtime::ContainerState state = runtime::refresh_state(host_containers(inv), record);
  return state.status == runtime::Status::running ? state.process.pid : 0;
}

int connect(const Invocation& inv, const ConnectFlags& flags) {
  storage::ContainerStore containers = host_containers(inv);
  storage::ContainerRecord record = find_container(containers, flags.container);
  net::NetworkRecord network = net::NetworkStore(storage_root(inv.global)).get(flags.network);
  net::NetworkMode mode = user_networks_of(record, "connect");
  if (mode.find_network(network.name) || mode.find_network(network.id))
    throw util::Error(util::cat("container ", record.name, " is already connected to network ",
                                network.name));
  net::UserNetwork entry{network.name, flags.aliases};
  if (pid_t pid = running_pid(inv, record)) {
    std::optional<net::NetnsLease> lease = lease_network_namespace(inv, network.name);
    net::connect_running(pid, record.id, entry, storage_root(inv.global), *lease);
  }
  mode.networks.push_back(std::move(entry));
  containers.set_network(record, mode.str());
  return 0;
}

int disconnect(const Invocation& inv, const ConnectFlags& flags) {
  storage::ContainerStore containers = host_containers(inv);
  storage::ContainerRecord record = find_container(containers, flags.container);
  net::NetworkRecord network = net::NetworkStore(storage_root(inv.global)).get(flags.network);
  net::NetworkMode mode = user_networks_of(record, "disconnect");
  auto it = std::find_if(mode.networks.begin(), mode.networks.end(), [&](const net::UserNetwork& n) {
    return n.name == network.name || n.name == network.id;
  });
  if (it == mode.networks.end())
    throw util::Error(util::cat("container ", record.name, " is not connected to network ",
                                network.name));
  if (mode.networks.size() == 1)
    throw util::Error(util::cat("network disconnect: ", network.name, " is the only network of "
                                "container ", record.name, ": connect it to another one first "
                                "(a container on user-defined networks keeps at least one)"));
  if (running_pid(inv, record) != 0) {
    // The first network carries the default route, which the next one takes over (its
    // published ports, if any, make disconnect_running refuse).
    const std::string* default_via = it == mode.networks.begin() ? &mode.networks[1].name : nullptr;
    std::optional<net::NetnsLease> lease = lease_network_namespace(inv, network.name);
    net::disconnect_running(record.id, network.name, storage_root(inv.global), *lease, default_via);
  }
  mode.networks.erase(it);
  containers.set_network(record, mode.str());
  return 0;
}

} // namespace

void add_network_connect(CLI::App& network, Invocation& inv) {
  auto flags = std::make_shared<ConnectFlags>();
  CLI::App* cmd = network.add_subcommand("connect", "Connect a container to a network");
  cmd->add_option("--alias", flags->aliases, "Another name of the container on this network")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->expected(1);
  cmd->add_option("NETWORK", flags->network, "Network name or id")->required();
  cmd->add_option("CONTAINER", flags->container, "Container name or id")->required();
  cmd->callback([flags, &inv] { inv.action = [flags, &inv] { return connect(inv, *flags); }; });
}

void add_network_disconnect(CLI::App& network, Invocation& inv) {
  auto flags = std::make_shared<ConnectFlags>();
  CLI::App* cmd = network.add_subcommand("disconnect", "Disconnect a container from a network");
  cmd->add_option("NETWORK", flags->network, "Network name or id")->required();
  cmd->add_option("CONTAINER", flags->container, "Container name or id")->required();
  cmd->callback([flags, &inv] { inv.action = [flags, &inv] { return disconnect(inv, *flags); }; });
}

} // namespace cli
