// cove container ...: the container commands grouped as podman and Docker group them, and
// `container inspect`.
#include "cli/commands.hpp"
#include "cli/container_access.hpp"

#include "runtime/monitor.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

#include <iostream>
#include <memory>

namespace cli {

namespace {

struct ContainerInspectFlags {
  std::string format;
  std::vector<std::string> names;
};

int inspect_containers(const Invocation& inv, const ContainerInspectFlags& flags) {
  storage::ContainerStore containers = host_containers(inv);
  nlohmann::ordered_json documents = nlohmann::ordered_json::array();
  std::vector<std::string> missing;
  for (const std::string& name : flags.names) {
    std::optional<nlohmann::ordered_json> document = inspect_container(containers, name);
    if (document)
      documents.push_back(std::move(*document));
    else
      missing.push_back(name);
  }
  if (!documents.empty() || flags.format.empty() || flags.format == "json")
    std::cout << render_document(flags.format, documents) << std::flush;
  if (missing.empty())
    return 0;
  for (size_t i = 0; i + 1 < missing.size(); ++i)
    util::log::error("no such container: ", util::quote(missing[i]));
  throw util::Error(util::cat("no such container: ", util::quote(missing.back())));
}

CLI::App* add_container_inspect_command(CLI::App& parent, Invocation& inv) {
  auto flags = std::make_shared<ContainerInspectFlags>();
  CLI::App* cmd = parent.add_subcommand("inspect", "Show details of containers as JSON");
  cmd->add_option("-f,--format", flags->format, "json, or a Go template such as {{.State.Status}}");
  cmd->add_option("CONTAINER", flags->names, "Container names or ids")->required();
  cmd->callback(
      [flags, &inv] { inv.action = [flags, &inv] { return inspect_containers(inv, *flags); }; });
  return cmd;
}

} // namespace

std::optional<nlohmann::ordered_json> inspect_container(const storage::ContainerStore& containers,
                                                        const std::string& name) {
  std::optional<storage::ContainerRecord> record = containers.lookup(name);
  if (!record)
    return std::nullopt;
  std::string log = runtime::log_path(containers, record->id).string();
  ContainerView view = view_of(containers, std::move(*record));
  view.ports = published_ports(containers, view);
  return container_inspect_json(view, log);
}

CLI::App* add_container_command(CLI::App& parent, Invocation& inv) {
  CLI::App* group = parent.add_subcommand("container", "Manage containers");
  add_ps_command(*group, inv, "ls")->alias("list")->alias("ps");
  add_rm_command(*group, inv, "rm");
  add_stop_command(*group, inv);
  add_kill_command(*group, inv);
  add_wait_command(*group, inv);
  add_logs_command(*group, inv);
  add_exec_command(*group, inv);
  add_create_command(*group, inv);
  add_start_command(*group, inv);
  add_restart_command(*group, inv);
  add_attach_command(*group, inv);
  add_rename_command(*group, inv);
  add_top_command(*group, inv);
  add_port_command(*group, inv);
  add_cp_command(*group, inv);
  add_diff_command(*group, inv);
  add_export_command(*group, inv);
  add_commit_command(*group, inv);
  add_pause_command(*group, inv);
  add_unpause_command(*group, inv);
  add_prune_command(*group, inv);
  add_container_inspect_command(*group, inv);
  return group;
}

} // namespace cli
