// Starting a created container, shared by the foreground `run` and the detached monitor: the
// rootfs mounted, the user resolved from the image's own /etc/passwd, the generated etc files,
// the mount plan and the child plan, then the clone.
#pragma once

#include "net/bridge.hpp"
#include "net/container_network.hpp"
#include "runtime/child.hpp"
#include "runtime/container_state.hpp"
#include "runtime/freezer.hpp"
#include "runtime/launcher.hpp"
#include "runtime/netns_ahead.hpp"
#include "runtime/netns_join.hpp"
#include "runtime/rootfs.hpp"
#include "runtime/run.hpp"
#include "runtime/spec.hpp"
#include "runtime/terminal.hpp"
#include "storage/container_store.hpp"
#include "storage/layer_store.hpp"

#include <memory>
#include <optional>
#include <vector>

namespace storage {
class Store;
}

namespace runtime {

// Everything a start needs that must live as long as the container runs.
struct PreparedStart {
  std::vector<storage::LayerLease> leases; // the image's layers cannot be removed meanwhile
  MountedRootfs rootfs;
  ContainerSpec spec;
  std::optional<Pty> pty; // -t
  ChildPlan plan;
  net::ContainerNetwork::Request network; // the helper and ports, started by launch()
  std::optional<net::ContainerNetwork> connected; // set by launch(); stops after the process
  std::optional<FreezerCgroup> freezer = {}; // for pause; launch() puts the process in it
  std::string freezer_error = {};            // why there is no freezer cgroup
  std::optional<net::BridgeRequest> bridge;       // a user-defined network, attached by launch()
  const net::NetnsLease* netns_lease = nullptr;   // the shared namespace its bridge is in
  std::optional<net::BridgeAttachment> bridged;   // set by launch(); released after the process
  std::optional<NetworkPeer> network_peer; // container:NAME: whose network namespace launch() joins
  std::unique_ptr<NetnsAhead> netns; // --network none|slirp4netns: the namespace, made meanwhile
  // slirp4netns started on that namespace by prepare_start(); launch() waits for it.
  std::optional<net::ContainerNetwork> early_network = {};
};

// Mounts the rootfs and computes the plan for `record`. `terminal_from` is the terminal whose
// window size a -t pty copies (-1: none). `netns`: a network namespace already being made for
// a slirp4netns container (see make_netns_ahead); without it, prepare_start makes its own.
PreparedStart prepare_start(storage::Store& store, const RuntimeOptions& options,
                            const storage::ContainerRecord& record, int terminal_from,
                            std::unique_ptr<NetnsAhead> netns = nullptr);

// For a container with network mode `network` (as in RunRequest) that gets a private namespace
// of its own (slirp4netns, none): that namespace, started now on a thread of its own, to be
// handed to prepare_start (`run` starts it before the container is even created); nullptr for
// every other mode.
std::unique_ptr<NetnsAhead> make_netns_ahead(const std::string& network);

// Clones the container as planned (stdio as set in the plan or inherited).
ContainerProcess launch(PreparedStart& prepared);

// Records the start's freezer cgroup (or why it has none) in `state`, for pause and unpause.
void set_freezer(ContainerState& state, const PreparedStart& prepared);

// The record's state, parsed.
ContainerState state_of(const storage::ContainerRecord& record);

// Stores `state` in the record and saves it.
void save_state(const storage::ContainerStore& containers, storage::ContainerRecord& record,
                const ContainerState& state);

} // namespace runtime
