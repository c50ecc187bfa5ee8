// cove stop, kill and wait: signals and exit codes of running containers, from the host.
#include "cli/commands.hpp"
#include "cli/container_access.hpp"

#include "runtime/control.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

#include <iostream>
#include <memory>

namespace cli {

namespace {

struct StopFlags {
  int timeout = 10;
  std::vector<std::string> names;
};

struct KillFlags {
  std::string signal = "KILL";
  std::vector<std::string> names;
};

struct WaitFlags {
  std::vector<std::string> names;
};

int stop(const Invocation& inv, const StopFlags& flags) {
  if (flags.timeout < 0)
    throw util::Error("stop: the timeout must not be negative");
  storage::ContainerStore containers = host_containers(inv);
  for_each_name(flags.names, [&](const std::string& name) {
    storage::ContainerRecord record = find_container(containers, name);
    runtime::stop_container(containers, record, std::chrono::seconds(flags.timeout));
    std::cout << name << '\n' << std::flush;
  });
  return 0;
}

int kill(const Invocation& inv, const KillFlags& flags) {
  int sig = runtime::parse_signal(flags.signal);
  storage::ContainerStore containers = host_containers(inv);
  for_each_name(flags.names, [&](const std::string& name) {
    storage::ContainerRecord record = find_container(containers, name);
    runtime::ContainerState state = runtime::refresh_state(containers, record);
    runtime::signal_container(record, state, sig);
    std::cout << name << '\n' << std::flush;
  });
  return 0;
}

int wait(const Invocation& inv, const WaitFlags& flags) {
  storage::ContainerStore containers = host_containers(inv);
  for_each_name(flags.names, [&](const std::string& name) {
    storage::ContainerRecord record = find_container(containers, name);
    runtime::wait_stopped(containers, record, std::nullopt);
    runtime::ContainerState state = runtime::ContainerState::from_json(record.state);
    std::cout << state.exit_code << '\n' << std::flush;
  });
  return 0;
}

} // namespace

CLI::App* add_stop_command(CLI::App& parent, Invocation& inv) {
  auto flags = std::make_shared<StopFlags>();
  CLI::App* cmd = parent.add_subcommand("stop", "Stop running containers");
  cmd->add_option("-t,--time,--timeout", flags->timeout,
                  "Seconds to wait for the stop signal before SIGKILL (default 10)");
  cmd->add_option("CONTAINER", flags->names, "Container names or ids")->required();
  cmd->callback([flags, &inv] { inv.action = [flags, &inv] { return stop(inv, *flags); }; });
  return cmd;
}

CLI::App* add_kill_command(CLI::App& parent, Invocation& inv) {
  auto flags = std::make_shared<KillFlags>();
  CLI::App* cmd = parent.add_subcommand("kill", "Send a signal to running containers");
  cmd->add_option("-s,--signal", flags->signal, "Signal name or number (default KILL)");
  cmd->add_option("CONTAINER", flags->names, "Container names or ids")->required();
  cmd->callback([flags, &inv] { inv.action = [flags, &inv] { return kill(inv, *flags); }; });
  return cmd;
}

CLI::App* add_wait_command(CLI::App& parent, Invocation& inv) {
  auto flags = std::make_shared<WaitFlags>();
  CLI::App* cmd = parent.add_subcommand("wait", "Wait for containers to stop; print exit codes");
  cmd->add_option("CONTAINER", flags->names, "Container names or ids")->required();
  cmd->callback([flags, &inv] { inv.action = [flags, &inv] { return wait(inv, *flags); }; });
  return cmd;
}

} // namespace cli
