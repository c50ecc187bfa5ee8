// How container commands reach containers. Commands that only read records or signal processes
// (ps, logs, stop, kill, wait, inspect) stay in the host's user namespace: records are owned by
// the user, pids are host pids, and only from here can a process signal every uid of a
// container's user namespace. Commands that touch sub-id owned files (rm) enter a user
// namespace with the same mapping afterwards; exec joins the container's own namespaces.
#pragma once

#include "cli/container_views.hpp"
#include "cli/context.hpp"
#include "cli/time_filter.hpp"
#include "storage/container_store.hpp"

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace cli {

// The container store of this invocation's storage root, opened without entering a namespace.
storage::ContainerStore host_containers(const Invocation& inv);

// By full id, unique id prefix or name; throws util::Error("no such container: \"x\"").
storage::ContainerRecord find_container(const storage::ContainerStore& containers,
                                        const std::string& name);

// The record with its state reconciled with /proc.
ContainerView view_of(const storage::ContainerStore& containers, storage::ContainerRecord record);

// The ports the running container's network helper published (userdata/ports); none when it is
// not running (Docker shows none for a stopped container either).
std::vector<net::PortMapping> published_ports(const storage::ContainerStore& containers,
                                              const ContainerView& view);

// What `logs` prints.
struct LogOptions {
  bool follow = false;         // keep reading until the container stops
  bool timestamps = false;     // prefix records with their time
  std::optional<size_t> tail;  // only the last N records
  off_t from = 0;              // start at this offset of the log file
  TimeWindow window;           // --since/--until: only records timed inside
  // While following: waits a moment for more output; false stops following (start -ai's detach
  // keys). Unset: sleeps 50 ms.
  std::function<bool()> wait_more;
};

// Prints the container's log: stdout records to stdout, stderr records to stderr.
void print_logs(const storage::ContainerStore& containers, storage::ContainerRecord& record,
                const LogOptions& options);

// The size of the container's log file now (0 when there is none).
off_t log_size(const storage::ContainerStore& containers, const std::string& id);

// Runs `action` for each name; reports each failure as Docker does (one line each, going on with
// the rest) and throws the last one so the exit status is 125.
void for_each_name(const std::vector<std::string>& names,
                   const std::function<void(const std::string&)>& action);

} // namespace cli
