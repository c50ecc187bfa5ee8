// What `ps` and `inspect CONTAINER` print, built from container records and their reconciled
// state (pure, unit-tested).
#pragma once

#include "cli/output.hpp"
#include "net/port_mapping.hpp"
#include "runtime/container_state.hpp"
#include "storage/container_store.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace cli {

// A record with its state as reconciled with /proc.
struct ContainerView {
  storage::ContainerRecord record;
  runtime::ContainerState state;
  std::vector<net::PortMapping> ports; // published while running (ps fills it; else empty)
};

struct PsOptions {
  bool no_trunc = false; // full ids and commands
  long long now = 0;     // seconds since the epoch, for "2 minutes ago"
};

// Docker's COMMAND cell: the argv joined, cut to 20 characters with "…" unless no_trunc, quoted.
std::string ps_command(const std::vector<std::string>& args, bool no_trunc);

// The `ps` table (CONTAINER ID, IMAGE, COMMAND, CREATED, STATUS, PORTS, NAMES), its template
// fields (ID Image Command CreatedAt RunningFor Ports State Status Names Labels Mounts Networks
// Size) and podman's JSON array.
ListOutput container_list(const std::vector<ContainerView>& views, const PsOptions& options);

// Docker's `inspect` document for a container (NetworkSettings.Ports from view.ports, the ports
// published while it runs). `log_path` is its log file.
nlohmann::ordered_json container_inspect_json(const ContainerView& view,
                                              const std::string& log_path);

} // namespace cli
