// The `cp` and `export` use cases over open trees: a container's root (runtime/container_root)
// or the host's "/". Paths inside a container resolve with openat2(RESOLVE_IN_ROOT), so its
// symlinks (absolute or "../..") never lead onto the host.
#pragma once

#include "runtime/tree_copy.hpp"
#include "util/fd.hpp"

#include <string>

namespace runtime {

// A path in a tree: `root` is an open directory (borrowed) standing for "/".
struct CopyLocation {
  int root = -1;
  std::string path;    // as the user gave it (trailing "/" and "/." matter)
  std::string where;   // for messages: "container web", "the host"
};

struct CopyOptions {
  CopyOwners owners = CopyOwners::creator; // -a: CopyOwners::source
  bool follow_link = false;                // -L: copy what a source symlink points to
};

// `cp SRC DST` between two trees, with Docker's rules (runtime/copy_plan.hpp).
void copy_path(const CopyLocation& src, const CopyLocation& dst, const CopyOptions& options);

// `cp SRC -`: SRC as a tar stream written to `out`.
void copy_to_stream(const CopyLocation& src, int out, const CopyOptions& options);

// `cp - DST`: a tar stream read from `in`, extracted into the existing directory DST.
void copy_from_stream(int in, const CopyLocation& dst, const CopyOptions& options);

// `export`: the whole tree under `root` as a tar stream written to `out`; other mounts below it
// (/proc, /sys, volumes of a running container) appear as empty directories.
void export_tree(int root, int out);

// The host's "/" for a CopyLocation.
util::UniqueFd open_host_root();

// A host path made absolute against the working directory, trailing "/" or "/." kept.
std::string host_path(const std::string& path);

} // namespace runtime
