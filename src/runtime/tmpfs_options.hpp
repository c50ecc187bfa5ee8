// The options of a tmpfs mount (--tmpfs /path:OPTS, --mount type=tmpfs), split into mount(2)
// flags and the filesystem's data string. Pure, unit-tested.
#pragma once

#include <string>
#include <string_view>

namespace runtime {

struct TmpfsOptions {
  unsigned long flags = 0; // MS_* flags
  std::string data;        // "size=...,mode=...", passed to the kernel
};

// Parses comma-separated options: ro/rw, [no]exec, [no]suid, [no]dev, sync/async, [no]atime,
// [no]diratime, [no]relatime, strictatime, size=N[k|m|g|%], mode=OCTAL, uid=N, gid=N,
// nr_inodes=N[k|m|g], nr_blocks=N[k|m|g]. Starts from Docker's defaults: noexec, nosuid, nodev.
// Throws util::Error quoting the bad option.
TmpfsOptions parse_tmpfs_options(std::string_view text);

} // namespace runtime
