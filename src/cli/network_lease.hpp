// Containers on a user-defined network live in the user namespace that owns the shared network
// namespace of those networks: `run` leases that namespace and joins its user namespace before
// the store is opened (a sibling user namespace could not connect the two network namespaces).
#pragma once

#include "cli/context.hpp"
#include "net/rootless_netns.hpp"
#include "storage/container_store.hpp"

#include <optional>
#include <string>
#include <vector>

namespace cli {

// For `network` (a --network value) naming a user-defined network: checks that it exists, leases
// the shared namespace (starting its holder when none runs) and, rootless, joins its user
// namespace. nullopt for every other network mode. Throws util::Error.
std::optional<net::NetnsLease> lease_network_namespace(const Invocation& inv,
                                                       const std::string& network);

// Before `start` or `restart` opens the store: the containers' network modes (from their
// records) decide which user namespace the invocation must be in. A user-defined network leases
// the shared namespace (as `run` does), container:NAME joins that container's user namespace.
// All the containers of one invocation must agree; a mix is refused with advice to start them
// one at a time. nullopt when no lease is needed. Throws util::Error.
std::optional<net::NetnsLease> prepare_network_owner(
    const Invocation& inv, const std::vector<storage::ContainerRecord>& records);

} // namespace cli
