// Where cove keeps things, per user, with no need for a login session.
#pragma once

#include <sys/types.h>

#include <filesystem>

namespace util::paths {

// The uid on the host of the current process, also when running inside cove's user namespace
// (reads /proc/self/uid_map), so a re-executed cove picks the same directories.
uid_t host_uid();

// True when the host uid is not 0.
bool rootless();

// Default image/container storage: $XDG_DATA_HOME/cove/storage, ~/.local/share/cove/storage,
// or /var/lib/cove/storage for root.
std::filesystem::path default_storage_root();

// Default runtime state: $XDG_RUNTIME_DIR/cove when set and owned by us, else /tmp/cove-run-<uid>
// (0700, ownership checked), or /run/cove for root. Not created here.
std::filesystem::path default_runtime_root();

// Creates a private (0700) runtime directory, refusing one owned by someone else.
void ensure_private_dir(const std::filesystem::path& dir);

// $XDG_CONFIG_HOME or ~/.config (rootless); /etc for root-wide config lookups is separate.
std::filesystem::path config_home();

// The user's home directory ($HOME, else from the passwd database).
std::filesystem::path home();

} // namespace util::paths
