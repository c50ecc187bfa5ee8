// cove rename: a new name for a container, running or not. The name moves under the store's
// names/.lock like a creation, so it cannot be taken twice.
#include "cli/commands.hpp"
#include "cli/container_access.hpp"

#include "util/error.hpp"
#include "util/strings.hpp"

#include <memory>

namespace cli {

namespace {

struct RenameFlags {
  std::string container;
  std::string new_name;
};

int rename(const Invocation& inv, const RenameFlags& flags) {
  storage::ContainerStore containers = host_containers(inv);
  storage::ContainerRecord record = find_container(containers, flags.container);
  try {
    containers.rename(record, flags.new_name);
  } catch (...) {
    util::rethrow_with_context(util::cat("rename container ", record.name));
  }
  return 0;
}

} // namespace

CLI::App* add_rename_command(CLI::App& parent, Invocation& inv) {
  auto flags = std::make_shared<RenameFlags>();
  CLI::App* cmd = parent.add_subcommand("rename", "Rename a container");
  cmd->add_option("CONTAINER", flags->container, "Container name or id")->required();
  cmd->add_option("NEW_NAME", flags->new_name, "The new name")->required();
  cmd->callback([flags, &inv] { inv.action = [flags, &inv] { return rename(inv, *flags); }; });
  return cmd;
}

} // namespace cli
