// The mount flags of run and create, parsed into runtime::Mount values with Docker's syntax:
//   -v, --volume  HOST-PATH:CTR-PATH[:OPTS] (bind), NAME:CTR-PATH[:OPTS] (named volume),
//                 CTR-PATH (anonymous volume); OPTS from ro, rw, U, z, Z, nocopy
//   --mount       type=bind|volume|tmpfs,source=,target=,readonly,volume-nocopy,tmpfs-size=,
//                 tmpfs-mode= (src, dst, destination and ro are aliases; type defaults to volume)
//   --tmpfs       CTR-PATH[:OPTS] (tmpfs options, see runtime::parse_tmpfs_options)
// Errors are util::Error quoting the flag's value.
#pragma once

#include "runtime/mount.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace cli {

// One -v/--volume value.
runtime::Mount parse_volume_flag(std::string_view text);

// One --mount value.
runtime::Mount parse_mount_flag(std::string_view text);

// One --tmpfs value.
runtime::Mount parse_tmpfs_flag(std::string_view text);

// All of them, in the order -v, --mount, --tmpfs (make_spec rejects duplicate destinations).
std::vector<runtime::Mount> parse_mount_flags(const std::vector<std::string>& volumes,
                                              const std::vector<std::string>& mounts,
                                              const std::vector<std::string>& tmpfs);

} // namespace cli
