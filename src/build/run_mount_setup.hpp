// RUN --mount, on the host side: what the mounts add to the step's cache key, and, when the step
// runs, the directories, tmpfs files and locks behind them, as runtime mounts for the container.
#pragma once
#include "build/cache_mount_dir.hpp"
#include "build/copy_layer.hpp"
#include "build/run_mounts.hpp"
#include "build/secrets.hpp"
#include "build/ssh_agent_proxy.hpp"
#include "build/ssh_sources.hpp"
#include "image/digest.hpp"
#include "runtime/mount.hpp"
#include "runtime/rootfs.hpp"
#include "storage/tmp_entry.hpp"

#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace storage {
class Store;
}

namespace build {

// What the mounts of a step draw on.
struct MountSources {
  storage::Store& store;
  const Context& context;
  std::optional<runtime::RootfsDriver> driver; // --storage-driver, for mounting other stages
  // The layers (diff-ids, bottom first) of a stage (name or index, built on demand) or an image.
  std::function<std::vector<image::Digest>(const std::string&)> layers_of;
  const std::vector<SecretSource>& secrets;
  SecretEnvLookup env;
  const std::vector<SshSource>& ssh;
};

// The step's cache input from its mounts: a bind of the context hashes the content it exposes
// (as COPY does), a bind of a stage or image its layer chain and path; cache, tmpfs, secret
// and ssh mounts add nothing (a secret's value never reaches a key). "" when nothing is added.
std::string mount_inputs(const MountSources& sources, const std::vector<RunMount>& mounts);

// Fails when a required secret was not given to the build.
void check_required_secrets(const std::vector<RunMount>& mounts, const std::vector<SecretSource>& secrets);

// Fails when a required ssh agent id was not given to the build (--ssh).
void check_required_ssh(const std::vector<RunMount>& mounts, const std::vector<SshSource>& ssh);

// Everything the mounts of one step need while it runs; the destructor unmounts and removes it
// all (a cache directory stays, unlocked).
class PreparedMounts {
public:
  PreparedMounts(const MountSources& sources, const std::vector<RunMount>& mounts);
  PreparedMounts(const PreparedMounts&) = delete;
  PreparedMounts& operator=(const PreparedMounts&) = delete;

  // The container's mounts, in the order given.
  const std::vector<runtime::Mount>& mounts() const noexcept { return m_mounts; }

private:
  void bind_context(const MountSources& sources, const RunMount& m);
  void bind_layers(const MountSources& sources, const RunMount& m);
  void cache(const MountSources& sources, const RunMount& m);
  void secret(const MountSources& sources, const RunMount& m);
  void ssh(const MountSources& sources, const RunMount& m);

  // Declared so that mounts go before the directories they live in.
  std::deque<storage::TmpEntry> m_dirs;
  std::deque<runtime::MountedRootfs> m_roots;
  std::deque<StagedSecret> m_secrets;
  std::deque<SshAgentProxy> m_agents;
  std::deque<CacheMountDir> m_caches;
  std::vector<runtime::Mount> m_mounts;
};

} // namespace build
