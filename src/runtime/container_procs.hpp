// The processes of a running container, as host pids: every task whose pid namespace is the
// container init's (execs included), found by walking /proc. Works from the host's user
// namespace, whose user owns the container's user namespace and so may read its tasks' ns links.
#pragma once

#include "runtime/container_state.hpp"

#include <sys/types.h>

#include <vector>

namespace runtime {

// The host pids of the processes in the pid namespace of `init` (init first, then ascending).
// Throws util::Error when `init` is no longer that process.
std::vector<pid_t> container_pids(const ProcessId& init);

} // namespace runtime
