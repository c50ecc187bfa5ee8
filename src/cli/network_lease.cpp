#include "cli/network_lease.hpp"

#include "net/network_mode.hpp"
#include "net/network_store.hpp"
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
  if (!net::NetworkStore(storage_root(inv.global)).find(mode.network))
    throw util::Error(util::cat("unsupported network mode ", util::quote(network), ": no network ",
                                mode.network, " (create it with: cove network create ",
                                mode.network, ")"));
  std::filesystem::path runroot = runtime_root(inv.global);
  util::paths::ensure_private_dir(runroot);
  net::NetnsLease lease = net::NetnsLease::acquire(runroot, storage_root(inv.global),
                                                   [&inv] { enter_userns(inv); });
  if (util::paths::rootless())
    userns::join_user_namespace(lease.user_namespace());
  return lease;
}

} // namespace cli
