// An overlay upper dir read as a layer: the entries a container added or changed, its deletions
// (overlay's 0/0 character devices, or fuse-overlayfs's ".wh.NAME" files where it could not
// create those) and its opaque directories. `commit`, `diff` and the builder's RUN steps read a
// container's changes this way.
#pragma once

#include "storage/tar_writer.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <functional>
#include <string>

namespace storage {

// One entry of an upper dir.
struct UpperEntry {
  std::string path;             // relative to the upper dir: "etc/passwd"
  std::filesystem::path source; // the entry in the upper dir (a whiteout's own file)
  struct stat st {};            // lstat of `source`
  bool whiteout = false;        // `path` was deleted from the lower layers
  bool opaque = false;          // a directory that hides the lower layers' contents
};

// Visits every entry in sorted pre-order (a directory before its contents), skipping the mount
// points the runtime creates in every container (/proc, /sys, /dev, the empty /etc/hosts,
// /etc/hostname, /etc/resolv.conf and /.containerenv). Throws util::SystemError naming the path.
void walk_upper(const std::filesystem::path& upper,
                const std::function<void(const UpperEntry&)>& visit);

// True for the mount points the runtime creates in every container (see walk_upper): `rel` is
// relative ("etc/hosts"), `st` its lstat.
bool runtime_mount_point(const std::string& rel, const struct stat& st);

// Writes the upper dir as a layer: whiteouts become ".wh.<name>" entries and opaque directories
// get a ".wh..wh..opq" entry. Sockets are left out (not image content).
void write_upper_layer(const std::filesystem::path& upper, TarWriter& tar);

} // namespace storage
