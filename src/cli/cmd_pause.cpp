// cove pause and unpause: freezing and thawing the processes of running containers through the
// cgroup freezer the container was started in; from the host, like stop and kill.
#include "cli/commands.hpp"
#include "cli/container_access.hpp"

#include "runtime/control.hpp"

#include <iostream>
#include <memory>

namespace cli {

namespace {

enum class Freeze { pause, unpause };

int freeze(const Invocation& inv, const std::vector<std::string>& names, Freeze action) {
  storage::ContainerStore containers = host_containers(inv);
  for_each_name(names, [&](const std::string& name) {
    storage::ContainerRecord record = find_container(containers, name);
    runtime::ContainerState state = runtime::refresh_state(containers, record);
    if (action == Freeze::pause)
      runtime::pause_container(record, state);
    else
      runtime::unpause_container(record, state);
    std::cout << name << '\n' << std::flush;
  });
  return 0;
}

CLI::App* add_freeze_command(CLI::App& parent, Invocation& inv, Freeze action) {
  auto names = std::make_shared<std::vector<std::string>>();
  bool pause = action == Freeze::pause;
  CLI::App* cmd = parent.add_subcommand(
      pause ? "pause" : "unpause",
      pause ? "Pause all processes of containers" : "Unpause all processes of containers");
  cmd->add_option("CONTAINER", *names, "Container names or ids")->required();
  cmd->callback([names, action, &inv] {
    inv.action = [names, action, &inv] { return freeze(inv, *names, action); };
  });
  return cmd;
}

} // namespace

CLI::App* add_pause_command(CLI::App& parent, Invocation& inv) {
  return add_freeze_command(parent, inv, Freeze::pause);
}

CLI::App* add_unpause_command(CLI::App& parent, Invocation& inv) {
  return add_freeze_command(parent, inv, Freeze::unpause);
}

} // namespace cli
