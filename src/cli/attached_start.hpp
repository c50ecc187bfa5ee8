// Following a container just started under its monitor (`start -a`, `start -i`, and a `run -i`
// that must be able to detach): its output from the log, from where the log was before the
// start, so nothing is missed; with `interactive`, cove's stdin (or terminal) to it through the
// monitor until it stops or the user types the detach keys.
#pragma once

#include "runtime/detach_keys.hpp"
#include "storage/container_store.hpp"

#include <sys/types.h>

namespace cli {

struct FollowStart {
  off_t log_offset = 0;         // the log's size before the start
  bool interactive = false;     // pass stdin on (to a container created with -i)
  runtime::DetachKeys keys;     // what detaches
};

// Prints the output until the container stops and returns its exit code (also for a container
// its monitor removed, --rm), or 0 once the user detached.
int follow_started(const storage::ContainerStore& containers, storage::ContainerRecord& record,
                   const FollowStart& follow);

} // namespace cli
