// Writing the uid/gid maps of a process that was just cloned into a new user namespace.
#pragma once

#include "userns/id_map.hpp"
#include "util/subprocess.hpp"

#include <sys/types.h>

#include <optional>
#include <string>

namespace userns {

// Why newuidmap/newgidmap cannot be used ("newuidmap is not installed: apt-get install uidmap",
// "/usr/bin/newuidmap is not setuid root ..."), or nullopt when both look usable.
std::optional<std::string> helper_problem();

// newgidmap and newuidmap (setuid helpers that check /etc/subuid and /etc/subgid), writing one
// process's maps at once: they are independent, and each costs a process start, which is most
// of the time cove spends entering its namespace.
struct MapHelpers {
  util::Subprocess gid_helper;
  util::Subprocess uid_helper;

  // Waits for both. Throws util::Error with the failed helper's command line, status and stderr.
  void finish();
};

// Starts the helpers writing `mapping` for `pid`. Throws util::Error if one cannot be started.
MapHelpers start_map_helpers(pid_t pid, const IdMapping& mapping);

// Writes a single-id mapping (0 -> uid, 0 -> gid) for `pid` directly, which an unprivileged
// parent may do for its own ids only after denying setgroups(2) in the namespace.
void write_single_mapping(pid_t pid, uid_t uid, gid_t gid);

} // namespace userns
