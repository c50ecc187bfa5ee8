// cove create and start: a container made ready without running it, and started later under its
// own monitor (as run -d does); start -a then follows its output and returns its exit code, and
// start -i passes stdin (or the terminal) on until then or until the detach keys.
#include "cli/attached_start.hpp"
#include "cli/commands.hpp"
#include "cli/container_access.hpp"
#include "cli/network_lease.hpp"
#include "cli/run_args.hpp"

#include "runtime/control.hpp"
#include "runtime/monitor.hpp"
#include "storage/store.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

#include <iostream>
#include <memory>

namespace cli {

namespace {

struct StartFlags {
  bool attach = false;
  bool interactive = false;
  std::string detach_keys = "ctrl-p,ctrl-q";
  bool detach_keys_given = false;
  std::vector<std::string> names;
};

int create(const Invocation& inv, RunFlags flags) {
  flags.image_and_command = inv.command_words;
  runtime::RunRequest request = to_run_request(flags);
  if (request.rm)
    throw util::Error("create: --rm is only supported with run");
  auto store = open_store(inv);
  std::cout << runtime::create(*store, request).id << '\n';
  return 0;
}

int start(const Invocation& inv, const StartFlags& flags) {
  bool attach = flags.attach || flags.interactive; // -i attaches too, as Docker's
  if (attach && flags.names.size() != 1)
    throw util::Error("start: -a and -i take exactly one container");
  runtime::DetachKeys keys = runtime::DetachKeys::parse(flags.detach_keys);
  if (flags.detach_keys_given && !flags.interactive)
    throw util::Error("start: --detach-keys needs -i: the keys are read from stdin");
  std::vector<storage::ContainerRecord> wanted;
  {
    storage::ContainerStore host = host_containers(inv);
    for (const std::string& name : flags.names)
      if (std::optional<storage::ContainerRecord> record = host.lookup(name))
        wanted.push_back(std::move(*record));
  }
  std::optional<net::NetnsLease> lease = prepare_network_owner(inv, wanted);
  auto store = open_store(inv);
  runtime::RuntimeOptions options = make_runtime_options(inv.global);
  options.netns_lease = lease ? &*lease : nullptr;
  const storage::ContainerStore& containers = store->containers();
  std::optional<storage::ContainerRecord> last;
  off_t log_offset = 0;
  for_each_name(flags.names, [&](const std::string& name) {
    storage::ContainerRecord record = find_container(containers, name);
    runtime::ContainerState state = runtime::refresh_state(containers, record);
    log_offset = log_size(containers, record.id);
    if (state.status != runtime::Status::running) {
      // A monitor that recorded the last exit may still be unmounting.
      runtime::wait_stopped(containers, record, std::chrono::seconds(10));
      runtime::start_detached(*store, options, record);
    }
    if (!attach)
      std::cout << name << '\n' << std::flush;
    last = std::move(record);
  });
  if (!attach || !last)
    return 0;
  return follow_started(containers, *last, {log_offset, flags.interactive, keys});
}

struct RestartFlags {
  int timeout = 10;
  std::vector<std::string> names;
};

// stop (from the host, which can signal any uid of the container), then start under a new monitor.
int restart(const Invocation& inv, const RestartFlags& flags) {
  if (flags.timeout < 0)
    throw util::Error("restart: the timeout must not be negative");
  storage::ContainerStore host = host_containers(inv);
  std::vector<storage::ContainerRecord> records;
  for (const std::string& name : flags.names) {
    records.push_back(find_container(host, name));
    runtime::stop_container(host, records.back(), std::chrono::seconds(flags.timeout));
  }
  std::optional<net::NetnsLease> lease = prepare_network_owner(inv, records);
  auto store = open_store(inv);
  runtime::RuntimeOptions options = make_runtime_options(inv.global);
  options.netns_lease = lease ? &*lease : nullptr;
  for (size_t i = 0; i < records.size(); ++i) {
    runtime::start_detached(*store, options, records[i]);
    std::cout << flags.names[i] << '\n' << std::flush;
  }
  return 0;
}

} // namespace

CLI::App* add_restart_command(CLI::App& parent, Invocation& inv) {
  auto flags = std::make_shared<RestartFlags>();
  CLI::App* cmd = parent.add_subcommand("restart", "Stop, then start containers");
  cmd->add_option("-t,--time,--timeout", flags->timeout,
                  "Seconds to wait for the stop signal before SIGKILL (default 10)");
  cmd->add_option("CONTAINER", flags->names, "Container names or ids")->required();
  cmd->callback([flags, &inv] { inv.action = [flags, &inv] { return restart(inv, *flags); }; });
  return cmd;
}

CLI::App* add_create_command(CLI::App& parent, Invocation& inv) {
  auto flags = std::make_shared<RunFlags>();
  CLI::App* cmd = parent.add_subcommand("create", "Create a container without starting it");
  add_run_flags(*cmd, *flags);
  cmd->callback([flags, &inv] { inv.action = [flags, &inv] { return create(inv, *flags); }; });
  return cmd;
}

CLI::App* add_start_command(CLI::App& parent, Invocation& inv) {
  auto flags = std::make_shared<StartFlags>();
  CLI::App* cmd = parent.add_subcommand("start", "Start created or stopped containers");
  cmd->add_flag("-a,--attach", flags->attach, "Follow the output and return the exit code");
  cmd->add_flag("-i,--interactive", flags->interactive,
                "Attach stdin (or the terminal) of a container created with -i; implies -a");
  CLI::Option* keys = cmd->add_option(
      "--detach-keys", flags->detach_keys,
      "With -i: keys that detach, leaving the container running: ctrl-<key> or characters, "
      "comma-separated (default ctrl-p,ctrl-q; \"\" disables)");
  cmd->add_option("CONTAINER", flags->names, "Container names or ids")->required();
  cmd->callback([flags, keys, &inv] {
    flags->detach_keys_given = keys->count() > 0;
    inv.action = [flags, &inv] { return start(inv, *flags); };
  });
  return cmd;
}

} // namespace cli
