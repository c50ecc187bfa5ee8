// `run --init`: cove-init (src/init), a static PID 1 installed next to the cove binary, bound
// read-only on /dev/init in the container and run in front of the container's command, as
// Docker does with docker-init. /dev is the container's own tmpfs, so the mount point never
// touches the image, even with --read-only.
#pragma once

#include "runtime/child.hpp"

#include <filesystem>
#include <string>

namespace runtime {

// Where the init appears inside the container.
inline constexpr const char* init_path_in_container = "/dev/init";

// cove-init in the directory of the running cove binary (/proc/self/exe). Throws util::Error
// naming the path when it is missing or not executable.
std::filesystem::path find_init_binary();

// Binds `binary` read-only on /dev/init after the plan's other mounts and makes it the command,
// the original argv following "--" (pure).
void add_init(ChildPlan& plan, const std::filesystem::path& binary);

} // namespace runtime
