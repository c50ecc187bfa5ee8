// Applying a MountPlan in the post-clone child: noexcept, no allocation, failures reported
// over the sync channel.
#pragma once

#include "runtime/mount_plan.hpp"

namespace runtime {

// Makes the mount namespace private, then applies every op in order. Mount targets are opened
// with RESOLVE_IN_ROOT and mounted through /proc/self/fd/N, so an image symlink cannot redirect a
// mount onto the host. On failure reports {errno, "mount ..."} on sync_fd and returns false.
bool apply_mount_plan(const MountPlan& plan, int sync_fd) noexcept;

} // namespace runtime
