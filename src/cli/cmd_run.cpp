// cove run: flags -> runtime::RunRequest -> runtime::run; the container's exit code is cove's.
#include "cli/commands.hpp"
#include "cli/container_access.hpp"
#include "cli/network_lease.hpp"
#include "cli/run_args.hpp"

#include "runtime/netns_join.hpp"
#include "storage/store.hpp"
#include "util/error.hpp"

#include <iostream>
#include <memory>

namespace cli {

namespace {

int run_container(const Invocation& inv, RunFlags flags) {
  flags.image_and_command = inv.command_words;
  // Validate (pull policy, platform, missing image) before entering the user namespace.
  runtime::RunRequest request = to_run_request(flags);
  // Restarts are the monitor's job; a foreground run ends with its container's first exit.
  if (request.restart.restarts() && !request.detach)
    throw util::Error("run: --restart needs -d (or create, then start): only a detached "
                      "container has a monitor to restart it");
  std::optional<net::NetnsLease> lease = lease_network_namespace(inv, request.network);
  // container:NAME, rootless: the other container's user namespace, so its network can be joined.
  runtime::enter_network_peer_userns(host_containers(inv), request.network);
  auto store = open_store(inv);
  runtime::RuntimeOptions options = make_runtime_options(inv.global);
  options.netns_lease = lease ? &*lease : nullptr;
  if (request.detach) {
    std::cout << runtime::run_detached(*store, options, request) << '\n';
    return 0;
  }
  return runtime::run(*store, options, request);
}

} // namespace

CLI::App* add_run_command(CLI::App& parent, Invocation& inv) {
  auto flags = std::make_shared<RunFlags>();
  CLI::App* cmd = parent.add_subcommand("run", "Run a command in a new container");
  add_run_flags(*cmd, *flags);
  cmd->callback([flags, &inv] { inv.action = [flags, &inv] { return run_container(inv, *flags); }; });
  return cmd;
}

} // namespace cli
