// `exec`: a new process in a running container. cove joins the container's own namespaces
// (user first, through a pidfd of the container's init, from the host's user namespace, which
// owns the container's) instead of entering a user namespace of its own, forks into the
// container's pid namespace and executes the command as the requested user.
#pragma once

#include "runtime/container_state.hpp"
#include "runtime/detach_keys.hpp"
#include "storage/container_store.hpp"

#include <string>
#include <vector>

namespace runtime {

struct ExecRequest {
  std::vector<std::string> command;   // argv; [0] looked up on the container's PATH
  std::vector<std::string> env;       // -e K=V (or K: taken from cove's environment)
  std::vector<std::string> env_files; // --env-file contents, applied before -e
  std::string workdir;                // -w (default: the container's working directory)
  std::string user;                   // -u user[:group] (default: the container's user)
  bool interactive = false;           // -i: keep stdin
  bool tty = false;                   // -t: a pty from the container's devpts
  bool detach = false;                // -d: start the command and return (stdio on /dev/null)
  DetachKeys detach_keys;             // with -i -t: typed, they leave the command running
};

// Runs the command in the running container and returns its exit code (126/127 when it cannot
// be executed, 128+N when killed by signal N). With `detach`, returns 0 as soon as the command
// was executed (126/127 when it could not be) and leaves it running in the container, in a
// session of its own, a child of the container's init once cove exits. Throws util::Error when
// the container is not running, is paused, or its namespaces cannot be joined. With -i -t, the
// detach keys end cove with 0 and leave the command running with its terminal kept open.
int exec_in_container(const storage::ContainerRecord& record, const ContainerState& state,
                      const ExecRequest& request);

} // namespace runtime
