// The `run` use case: image -> rootfs -> namespaces -> exec -> wait -> clean up.
#pragma once

#include "image/config.hpp"
#include "net/network_options.hpp"
#include "registry/pull.hpp"
#include "runtime/mount.hpp"
#include "runtime/restart_policy.hpp"
#include "runtime/rootfs.hpp"
#include "runtime/ulimit.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace storage {
class Store;
struct ContainerRecord;
}

namespace net {
class NetnsLease;
}

namespace runtime {

// Options that come from global flags rather than the run command.
struct RuntimeOptions {
  std::filesystem::path runtime_root;       // --runroot (already resolved)
  std::optional<RootfsDriver> driver;        // --storage-driver / COVE_STORAGE_DRIVER
  // The shared namespace of user-defined networks, leased by the CLI before it entered that
  // namespace's user namespace; null when the container is on no user-defined network.
  const net::NetnsLease* netns_lease = nullptr;
};

// The image a request names, when it was found locally before the store was opened.
struct LocalImage {
  storage::ImageRecord record;
  image::ImageConfig config;
};

struct RunRequest {
  std::string image;                         // as typed
  std::optional<LocalImage> local_image;     // see find_local_image
  std::vector<std::string> command;          // everything after IMAGE
  std::vector<std::string> env;              // -e K=V or K (take from the caller's env)
  std::vector<std::string> env_files;        // --env-file
  std::string workdir;                       // -w
  std::string user;                          // -u user[:group]
  std::optional<std::string> entrypoint;     // --entrypoint ("" clears the image's)
  std::string hostname;                      // --hostname
  std::string name;                          // --name
  std::vector<Mount> mounts;                 // -v, --mount, --tmpfs (parsed by the CLI)
  std::string network;                       // none | host | slirp4netns[:opts] ("" = default)
  net::NetworkOptions network_options;       // -p, -P, --dns*, --add-host
  registry::PullPolicy pull = registry::PullPolicy::missing;
  registry::PullOptions pull_options;
  bool rm = false;
  bool interactive = false;                  // -i: keep stdin open
  bool tty = false;                          // -t: allocate a pseudo-terminal
  bool read_only = false;                    // --read-only
  bool detach = false;                       // -d: run under a monitor, print the id
  RestartPolicy restart;                     // --restart, carried out by the monitor (-d only)
  bool init = false;                         // --init: cove-init as PID 1
  std::vector<Ulimit> ulimits;               // --ulimit (parsed by the CLI)
};

// Looks the request's image up in the store at `storage_root` and keeps it in
// request.local_image when the pull policy settles on a local image. Only reads the store, so it
// may run before this process has entered its user namespace (as the id maps are written);
// create() then neither looks the image up again nor reads its config. Throws util::Error.
void find_local_image(const std::filesystem::path& storage_root, RunRequest& request);

// Runs the container in the foreground and returns the exit code for cove's own exit:
// the container's status, 126/127 when the command cannot be run, 128+N when killed by signal N.
// Throws util::Error for tool failures (the CLI turns those into exit 125).
int run(storage::Store& store, const RuntimeOptions& options, const RunRequest& request);

// Pulls the image as the policy says and creates the container record ("created"), with the
// spec computed from the image config and the request. Throws util::Error.
storage::ContainerRecord create(storage::Store& store, const RunRequest& request);

// Starts a created container in the foreground and waits for it; returns the exit code as run()
// does. Removes an auto-remove container afterwards.
int start_foreground(storage::Store& store, const RuntimeOptions& options,
                     storage::ContainerRecord& record);

// create() then start_detached(): returns the full id once the container runs under its monitor.
std::string run_detached(storage::Store& store, const RuntimeOptions& options,
                         const RunRequest& request);

} // namespace runtime
