#include "cli/run_args.hpp"

#include "cli/mount_args.hpp"
#include "image/platform.hpp"
#include "net/network_mode.hpp"
#include "registry/pull.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

#include <algorithm>

namespace cli {

void add_run_flags(CLI::App& cmd, RunFlags& flags) {
  // -h is --hostname for run, as in Docker; help stays on --help.
  cmd.set_help_flag("--help", "Print this help and exit");
  add_list_option(cmd, "-e,--env", flags.env, "Set an environment variable (K=V, or K to copy it)");
  add_list_option(cmd, "--env-file", flags.env_files, "Read environment variables from a file");
  add_list_option(cmd, "-v,--volume", flags.volumes,
                  "Bind mount or volume: HOST-DIR|NAME:CONTAINER-DIR[:ro|rw|U|nocopy], or "
                  "CONTAINER-DIR for an anonymous volume");
  add_list_option(cmd, "--mount", flags.mounts,
                  "Mount: type=bind|volume|tmpfs,source=,target=[,readonly][,tmpfs-size=]"
                  "[,tmpfs-mode=][,volume-nocopy]");
  add_list_option(cmd, "--tmpfs", flags.tmpfs, "Mount a tmpfs: CONTAINER-DIR[:OPTIONS]");
  cmd.add_option("-w,--workdir", flags.workdir, "Working directory inside the container");
  cmd.add_option("-u,--user", flags.user, "User (name or uid) and optional group: USER[:GROUP]");
  cmd.add_option_function<std::string>(
      "--entrypoint", [&flags](const std::string& value) { flags.entrypoint = value; },
      "Override the image's entrypoint (\"\" clears it)");
  cmd.add_option("-h,--hostname", flags.hostname, "Container host name");
  cmd.add_option("--name", flags.name, "Assign a name to the container");
  add_list_option(cmd, "--network,--net", flags.networks,
                  "Network mode: slirp4netns[:allow_host_loopback=true,outbound_relay=false,port_handover=false,host_sockets=true,mtu=N,cidr=CIDR,enable_ipv6=true] (default), "
                  "pasta[:--map-gw,OPTIONS] (default without slirp4netns), container:NAME, none, "
                  "host, or a user-defined network NAME[:alias=A] (repeat for several)");
  add_list_option(cmd, "--network-alias", flags.network_aliases,
                  "Another name of the container on its user-defined network");
  add_list_option(cmd, "-p,--publish", flags.net.publish,
                  "Publish a port: [IP:][HOSTPORT:]CONTAINERPORT[/tcp|/udp], ranges allowed");
  cmd.add_flag("-P,--publish-all", flags.net.publish_all,
               "Publish the image's exposed ports on free host ports");
  add_list_option(cmd, "--dns", flags.net.dns, "DNS server for the container");
  add_list_option(cmd, "--dns-search", flags.net.dns_search, "DNS search domain (\".\" for none)");
  add_list_option(cmd, "--dns-option", flags.net.dns_options, "resolv.conf option");
  add_list_option(cmd, "--add-host", flags.net.add_hosts, "Add NAME:IP to /etc/hosts");
  cmd.add_option("--pull", flags.pull, "Pull policy: always, missing, never, newer (bare: always)");
  cmd.add_option("--platform", flags.platform, "Platform to pull: os/arch[/variant]");
  cmd.add_flag_function(
      "--tls-verify", [&flags](std::int64_t count) { flags.tls_verify = count > 0; },
      "Require HTTPS and verify certificates (--tls-verify=false to disable)");
  cmd.add_flag("--rm", flags.rm, "Remove the container when it exits");
  cmd.add_flag("-d,--detach", flags.detach, "Run in the background and print the container id");
  cmd.add_flag("-i,--interactive", flags.interactive, "Keep stdin open");
  cmd.add_flag("-t,--tty", flags.tty, "Allocate a pseudo-terminal");
  cmd.add_flag("--read-only", flags.read_only, "Mount the root filesystem read-only");
  cmd.add_option("--restart", flags.restart,
                 "Restart policy: no, on-failure[:N], always or unless-stopped (with -d)");
  add_list_option(cmd, "--ulimit", flags.ulimits,
                  "Resource limit: NAME=SOFT[:HARD] (nofile, nproc, core, memlock...; -1 = unlimited)");
  cmd.add_flag("--init", flags.init, "Run cove-init as PID 1: it reaps zombies and forwards signals");
  cmd.add_flag("-q,--quiet", flags.quiet, "Do not print pull progress");
  // Only for --help: split_command_args hands IMAGE and what follows over without CLI11.
  cmd.add_option("IMAGE", flags.image_and_command, "Image, then the command and its arguments")
      ->type_name("[COMMAND [ARG...]]");
}

ScanRules run_scan_rules() {
  ScanRules rules;
  rules.command_takers = {"run", "create", "exec", "container exec", "container create", "top",
                          "container top"};
  rules.optional_values["--pull"] = {"always", {"always", "missing", "never", "newer", "true", "false"}};
  return rules;
}

RunFlags parse_run_args(const std::vector<std::string>& args) {
  CLI::App app{"cove"};
  RunFlags flags;
  CLI::App* run = app.add_subcommand("run");
  add_run_flags(*run, flags);
  std::vector<std::string> words{"run"};
  words.insert(words.end(), args.begin(), args.end());
  SplitArgs split = split_command_args(app, std::move(words), run_scan_rules());
  // CLI11 parses a vector from the back.
  std::reverse(split.options.begin(), split.options.end());
  app.parse(split.options);
  flags.image_and_command = std::move(split.command);
  return flags;
}

namespace {

// Several --network flags: each must name a user-defined network (Docker and podman allow no
// other combination); stored as one mode, "A+B".
std::string combine_networks(const std::vector<std::string>& networks) {
  if (networks.size() == 1)
    return networks.front();
  net::NetworkMode combined;
  combined.driver = net::NetworkDriver::bridge;
  for (const std::string& text : networks) {
    net::NetworkMode mode = net::NetworkMode::parse(text);
    if (mode.driver != net::NetworkDriver::bridge)
      throw util::Error(util::cat("--network ", util::quote(text), ": only user-defined networks "
                                  "can be combined; --network none, host, slirp4netns, pasta or "
                                  "container: must be the only --network"));
    for (net::UserNetwork& network : mode.networks) {
      if (combined.find_network(network.name))
        throw util::Error(util::cat("--network: network ", network.name, " is given twice"));
      combined.networks.push_back(std::move(network));
    }
  }
  return combined.str();
}

} // namespace

runtime::RunRequest to_run_request(const RunFlags& flags) {
  if (flags.image_and_command.empty())
    throw util::Error("run: an image is required: cove run [OPTIONS] IMAGE [COMMAND [ARG...]]");
  runtime::RunRequest req;
  req.image = flags.image_and_command.front();
  req.command.assign(flags.image_and_command.begin() + 1, flags.image_and_command.end());
  req.env = flags.env;
  req.env_files = flags.env_files;
  req.workdir = flags.workdir;
  req.user = flags.user;
  req.entrypoint = flags.entrypoint;
  req.hostname = flags.hostname;
  req.name = flags.name;
  req.mounts = parse_mount_flags(flags.volumes, flags.mounts, flags.tmpfs);
  // The rootless default is decided here, once, so the record states the mode actually used.
  req.network = flags.networks.empty() ? net::default_network_mode().str()
                                       : combine_networks(flags.networks);
  if (!flags.network_aliases.empty()) {
    net::NetworkMode mode = net::NetworkMode::parse(req.network);
    if (mode.driver != net::NetworkDriver::bridge)
      throw util::Error("--network-alias: network-scoped aliases are supported only for "
                        "containers on user-defined networks (--network NAME)");
    for (net::UserNetwork& network : mode.networks)
      network.aliases.insert(network.aliases.end(), flags.network_aliases.begin(),
                             flags.network_aliases.end());
    req.network = mode.str();
  }
  req.network_options = flags.net;
  req.pull = registry::parse_pull_policy(flags.pull);
  if (!flags.platform.empty())
    req.pull_options.platform = image::Platform::parse(flags.platform);
  req.pull_options.tls_verify = flags.tls_verify;
  req.pull_options.quiet = flags.quiet;
  req.rm = flags.rm;
  req.interactive = flags.interactive;
  req.tty = flags.tty;
  req.read_only = flags.read_only;
  req.detach = flags.detach;
  req.restart = runtime::RestartPolicy::parse(flags.restart);
  if (req.rm && req.restart.restarts())
    throw util::Error("conflicting options: cannot specify both --restart and --rm");
  req.init = flags.init;
  req.ulimits = runtime::parse_ulimits(flags.ulimits);
  return req;
}

} // namespace cli
