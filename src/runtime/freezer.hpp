// The cgroup freezer behind `pause` and `unpause`. Each container whose starter (monitor or
// foreground run) may create a cgroup gets one of its own: a v1 freezer cgroup
// (<freezer mount>/cove/<id>, writable by root) or, failing that, a child of the starter's own
// cgroup v2 cgroup when that one is delegated to it (cgroup.freeze, Linux 5.2). Without either
// (rootless on a host whose cgroups are not delegated) the container runs without one and
// `pause` explains what is missing. Other cove processes act on the recorded directory.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>

namespace runtime {

// A freezer cgroup created for one container, removed (thawed first) on destruction.
class FreezerCgroup {
public:
  // Creates the cgroup for container `id`; nullopt when no usable hierarchy is writable, with
  // the reasons (one per hierarchy tried) in `why`.
  static std::optional<FreezerCgroup> create(const std::string& id, std::string& why);

  FreezerCgroup(FreezerCgroup&& other) noexcept : m_dir(std::move(other.m_dir)) { other.m_dir.clear(); }
  FreezerCgroup& operator=(FreezerCgroup&&) = delete;
  FreezerCgroup(const FreezerCgroup&) = delete;
  FreezerCgroup& operator=(const FreezerCgroup&) = delete;
  ~FreezerCgroup();

  // Moves process `pid` (and so its future children) into the cgroup. Throws util::Error.
  void add(pid_t pid) const;
  const std::filesystem::path& dir() const noexcept { return m_dir; }

private:
  explicit FreezerCgroup(std::filesystem::path dir) : m_dir(std::move(dir)) {}
  std::filesystem::path m_dir;
};

// Freezes every process of the cgroup at `dir` and waits until the kernel reports it frozen.
// Throws util::Error naming the directory.
void freeze_cgroup(const std::filesystem::path& dir);

// Thaws the cgroup at `dir`. Throws util::Error naming the directory.
void thaw_cgroup(const std::filesystem::path& dir);

// True when the cgroup at `dir` exists and is frozen (a freeze in progress does not count).
bool cgroup_frozen(const std::filesystem::path& dir) noexcept;

} // namespace runtime
