#include "cli/network_lease.hpp"

#include "cli/container_access.hpp"

#include "net/network_mode.hpp"
#include "net/network_store.hpp"
#include "runtime/netns_join.hpp"
#include "userns/reexec.hpp"
#include "util/error.hpp"
#include "util/paths.hpp"
#include "util/strings.hpp"

namespace cli {

std::optional<net::NetnsLease> lease_network_namespace(const Invocation& inv,
                                                       const std::string& network) {
  if (network.empty())
    return std::nullopt;
  net::NetworkMode mode = net::NetworkMode::parse(network);
  if (mode.driver != net::NetworkDriver::bridge)
    return std::nullopt;
  net::NetworkStore networks(storage_root(inv.global));
  for (const net::UserNetwork& wanted : mode.networks)
    if (!networks.find(wanted.name))
      throw util::Error(util::cat("unsupported network mode ", util::quote(network),
                                  ": no network ", wanted.name,
                                  " (create it with: cove network create ", wanted.name, ")"));
  std::filesystem::path runroot = runtime_root(inv.global);
  util::paths::ensure_private_dir(runroot);
  net::NetnsLease lease = net::NetnsLease::acquire(runroot, storage_root(inv.global),
                                                   [&inv] { enter_userns(inv); });
  if (util::paths::rootless())
    userns::join_user_namespace(lease.user_namespace());
  return lease;
}

std::optional<net::NetnsLease> prepare_network_owner(
    const Invocation& inv, const std::vector<storage::ContainerRecord>& records) {
  // The network mode that needs a particular user namespace (any user-defined network: the
  // shared one), and the container naming it.
  std::string needed, key, first;
  for (const storage::ContainerRecord& record : records) {
    std::string network = record.spec.value("network", std::string());
    if (network.empty())
      continue;
    net::NetworkMode mode = net::NetworkMode::parse(network);
    std::string this_key;
    if (mode.driver == net::NetworkDriver::bridge)
      this_key = "user-defined networks";
    else if (network.rfind("container:", 0) == 0)
      this_key = network;
    else
      continue;
    if (needed.empty()) {
      needed = network;
      key = this_key;
      first = record.name;
    } else if (this_key != key) {
      throw util::Error(util::cat("start: containers ", first, " (", key, ") and ", record.name,
                                  " (", this_key, ") need different namespaces: start them one "
                                  "at a time"));
    }
  }
  if (needed.empty())
    return std::nullopt;
  std::optional<net::NetnsLease> lease = lease_network_namespace(inv, needed);
  runtime::enter_network_peer_userns(host_containers(inv), needed);
  return lease;
}

} // namespace cli
