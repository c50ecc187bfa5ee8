// cove run: flags -> runtime::RunRequest -> runtime::run; the container's exit code is cove's.
#include "cli/attached_start.hpp"
#include "cli/commands.hpp"
#include "cli/container_access.hpp"
#include "cli/network_lease.hpp"
#include "cli/run_args.hpp"

#include "runtime/netns_join.hpp"
#include "storage/store.hpp"
#include "userns/entering.hpp"
#include "util/error.hpp"

#include <iostream>
#include <memory>

namespace cli {

namespace {

// --detach-keys, when given (a foreground run without it cannot detach: see run_container).
struct DetachKeysFlag {
  std::string spec;
  bool given = false;
};

int run_container(const Invocation& inv, RunFlags flags, const DetachKeysFlag& detach_keys) {
  flags.image_and_command = inv.command_words;
  // Validate (pull policy, platform, missing image) before entering the user namespace.
  runtime::RunRequest request = to_run_request(flags);
  std::optional<runtime::DetachKeys> keys;
  if (detach_keys.given) {
    keys = runtime::DetachKeys::parse(detach_keys.spec);
    if (request.detach)
      throw util::Error("run: --detach-keys does not apply to -d: give it to attach");
    if (!request.interactive)
      throw util::Error("run: --detach-keys needs -i: the keys are read from stdin");
  }
  // Restarts are the monitor's job; a foreground run ends with its container's first exit.
  if (request.restart.restarts() && !request.detach)
    throw util::Error("run: --restart needs -d (or create, then start): only a detached "
                      "container has a monitor to restart it");
  std::optional<net::NetnsLease> lease = lease_network_namespace(inv, request.network);
  // container:NAME, rootless: the other container's user namespace, so its network can be joined.
  runtime::enter_network_peer_userns(host_containers(inv), request.network);
  {
    // The image is looked up while newuidmap and newgidmap write the namespace's id maps.
    userns::Entering entering = userns::Entering::start();
    runtime::find_local_image(storage_root(inv.global), request);
    entering.finish();
  }
  auto store = std::make_unique<storage::Store>(storage_root(inv.global)); // entered just above
  runtime::RuntimeOptions options = make_runtime_options(inv.global);
  options.netns_lease = lease ? &*lease : nullptr;
  if (request.detach) {
    std::cout << runtime::run_detached(*store, options, request) << '\n';
    return 0;
  }
  // A foreground run is the container's monitor, and its container dies with it. To be able to
  // detach (-i with detach keys asked for), the container runs under a monitor of its own, as
  // with -d, and this command follows it as start -ai does.
  if (keys && keys->enabled() && request.interactive) {
    storage::ContainerRecord record =
        find_container(store->containers(), runtime::run_detached(*store, options, request));
    return follow_started(store->containers(), record, {0, true, *keys});
  }
  return runtime::run(*store, options, request);
}

} // namespace

CLI::App* add_run_command(CLI::App& parent, Invocation& inv) {
  auto flags = std::make_shared<RunFlags>();
  auto detach_keys = std::make_shared<DetachKeysFlag>();
  CLI::App* cmd = parent.add_subcommand("run", "Run a command in a new container");
  add_run_flags(*cmd, *flags);
  CLI::Option* keys = cmd->add_option(
      "--detach-keys", detach_keys->spec,
      "With -i: keys that detach, leaving the container running under a monitor: ctrl-<key> or "
      "characters, comma-separated (\"\" disables; without the option, a foreground run does "
      "not detach)");
  cmd->callback([flags, detach_keys, keys, &inv] {
    detach_keys->given = keys->count() > 0;
    inv.action = [flags, detach_keys, &inv] { return run_container(inv, *flags, *detach_keys); };
  });
  return cmd;
}

} // namespace cli
