// cove diff: what a container changed in its image's filesystem (A added, C changed, D deleted).
#include "cli/commands.hpp"
#include "cli/container_access.hpp"

#include "runtime/container_changes.hpp"
#include "storage/store.hpp"

#include <iostream>
#include <memory>

namespace cli {

namespace {

int diff(const Invocation& inv, const std::string& name) {
  storage::ContainerStore containers = host_containers(inv);
  storage::ContainerRecord record = find_container(containers, name);
  enter_userns(inv); // the upper dir's files belong to the container's ids
  storage::Store store(storage_root(inv.global));
  for (const runtime::Change& change : runtime::container_changes(store, record))
    std::cout << runtime::change_letter(change.kind) << ' ' << change.path << '\n';
  return 0;
}

} // namespace

CLI::App* add_diff_command(CLI::App& parent, Invocation& inv) {
  auto name = std::make_shared<std::string>();
  CLI::App* cmd = parent.add_subcommand("diff", "Show the changes in a container's filesystem");
  cmd->add_option("CONTAINER", *name, "Container name or id")->required();
  cmd->callback([name, &inv] { inv.action = [name, &inv] { return diff(inv, *name); }; });
  return cmd;
}

} // namespace cli
