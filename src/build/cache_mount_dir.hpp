// The directories behind RUN --mount=type=cache: <root>/build-mounts/cache/<sha256(id)>, kept
// between builds and never part of a layer, each held under its sharing mode's flock for a step.
#pragma once
#include "build/run_mounts.hpp"
#include "util/file_lock.hpp"

#include <filesystem>
#include <functional>

namespace storage {
class Store;
}

namespace build {

// Where a new cache directory gets its first content (`from=`); it may leave it empty.
using CacheSeed = std::function<void(const std::filesystem::path& dir)>;

class CacheMountDir {
public:
  // Opens the directory for `mount` (creating it on first use with the mount's uid, gid and mode,
  // filled by `seed`) and holds it: shared, locked (waits for the other builders) or private
  // (another instance when this one is in use). Throws util::Error.
  static CacheMountDir acquire(const storage::Store& store, const RunMount& mount, const CacheSeed& seed);

  const std::filesystem::path& path() const noexcept { return m_path; }

private:
  CacheMountDir(std::filesystem::path path, util::FileLock lock) : m_path(std::move(path)), m_lock(std::move(lock)) {}
  std::filesystem::path m_path;
  util::FileLock m_lock;
};

} // namespace build
