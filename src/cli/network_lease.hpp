// Containers on a user-defined network live in the user namespace that owns the shared network
// namespace of those networks: `run` leases that namespace and joins its user namespace before
// the store is opened (a sibling user namespace could not connect the two network namespaces).
#pragma once

#include "cli/context.hpp"
#include "net/rootless_netns.hpp"

#include <optional>
#include <string>

namespace cli {

// For `network` (a --network value) naming a user-defined network: checks that it exists, leases
// the shared namespace (starting its holder when none runs) and, rootless, joins its user
// namespace. nullopt for every other network mode. Throws util::Error.
std::optional<net::NetnsLease> lease_network_namespace(const Invocation& inv,
                                                       const std::string& network);

} // namespace cli
