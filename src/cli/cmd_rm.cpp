// cove rm: removes containers. Running ones only with -f (killed first, from the host); the
// files, owned by sub-ids, are then removed from inside a user namespace with cove's mapping.
#include "cli/commands.hpp"
#include "cli/arg_scan.hpp"
#include "cli/container_access.hpp"
#include "cli/prune_filter.hpp"

#include "runtime/control.hpp"
#include "runtime/volumes.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

#include <signal.h>

#include <iostream>
#include <map>
#include <memory>

namespace cli {

namespace {

struct RmFlags {
  bool force = false;
  bool volumes = false;
  std::vector<std::string> names;
};

// Stops what must be stopped; the record to remove, or nullopt (-f on a missing container).
std::optional<storage::ContainerRecord> prepare_removal(const storage::ContainerStore& containers,
                                                        const std::string& name, bool force) {
  std::optional<storage::ContainerRecord> found = containers.lookup(name);
  if (!found && force)
    return std::nullopt;
  storage::ContainerRecord record = find_container(containers, name);
  runtime::ContainerState state = runtime::refresh_state(containers, record);
  if (state.status == runtime::Status::running) {
    if (!force)
      throw util::Error(util::cat("cannot remove container ", record.name,
                                  ": it is running (stop it first, or use rm -f)"));
    try {
      runtime::signal_container(record, state, SIGKILL);
    } catch (const util::Error&) {
      // It stopped in between.
    }
  }
  // Its monitor must be gone (it unmounts the rootfs and may still write the record).
  runtime::wait_stopped(containers, record, std::nullopt);
  return record;
}

int rm(const Invocation& inv, const RmFlags& flags) {
  storage::ContainerStore containers = host_containers(inv);
  std::vector<std::pair<std::string, storage::ContainerRecord>> doomed;
  // Named by id but incomplete (a create cut short by a crash): nothing runs, only files go.
  std::vector<std::pair<std::string, std::string>> incomplete;
  std::optional<std::string> error;
  try {
    for_each_name(flags.names, [&](const std::string& name) {
      if (!containers.lookup(name))
        if (std::optional<std::string> id = containers.find_incomplete(name)) {
          incomplete.emplace_back(name, *id);
          return;
        }
      if (auto record = prepare_removal(containers, name, flags.force))
        doomed.emplace_back(name, std::move(*record));
    });
  } catch (const util::Error& e) {
    error = e.what();
  }
  if (!doomed.empty() || !incomplete.empty()) {
    enter_userns(inv);
    storage::VolumeStore volumes(storage_root(inv.global));
    for (const auto& [name, record] : doomed) {
      containers.remove(record);
      if (flags.volumes) // named volumes always stay
        runtime::remove_anonymous_volumes(volumes, containers, record);
      std::cout << name << '\n';
    }
    for (const auto& [name, id] : incomplete) {
      containers.remove_incomplete(id);
      std::cout << name << '\n';
    }
  }
  if (error)
    throw util::Error(*error);
  return 0;
}

struct PruneFlags {
  bool force = false;
  std::vector<std::string> filters;
};

std::map<std::string, std::string> container_labels(const storage::ContainerRecord& record) {
  std::map<std::string, std::string> labels;
  if (record.spec.contains("config") && record.spec["config"].contains("labels") &&
      record.spec["config"]["labels"].is_object())
    for (const auto& [key, value] : record.spec["config"]["labels"].items())
      labels[key] = value.is_string() ? value.get<std::string>() : value.dump();
  return labels;
}

// Removes every container that is not running and passes the filters (their monitors gone),
// printing the ids.
int prune(const Invocation& inv, const PruneFlags& flags) {
  std::vector<LabelFilter> filters = parse_label_filters(flags.filters);
  if (!flags.force && !confirm_prune("WARNING! This will remove all non running containers.", {}))
    return 0;
  storage::ContainerStore containers = host_containers(inv);
  std::vector<storage::ContainerRecord> doomed;
  // Incomplete ones (creates cut short by a crash) have no labels to match: they go when no
  // filter is given.
  std::vector<std::string> incomplete;
  if (filters.empty())
    incomplete = containers.incomplete();
  for (storage::ContainerRecord& record : containers.list()) {
    if (!matches_all(filters, container_labels(record)) ||
        runtime::refresh_state(containers, record).status == runtime::Status::running)
      continue;
    runtime::wait_stopped(containers, record, std::chrono::seconds(10));
    doomed.push_back(std::move(record));
  }
  if (doomed.empty() && incomplete.empty())
    return 0;
  enter_userns(inv);
  for (const storage::ContainerRecord& record : doomed) {
    containers.remove(record);
    std::cout << record.id << '\n';
  }
  for (const std::string& id : incomplete) {
    containers.remove_incomplete(id);
    std::cout << id << '\n';
  }
  return 0;
}

} // namespace

CLI::App* add_prune_command(CLI::App& parent, Invocation& inv) {
  auto flags = std::make_shared<PruneFlags>();
  CLI::App* cmd = parent.add_subcommand("prune", "Remove all stopped containers");
  cmd->add_flag("-f,--force", flags->force,
                "Do not ask for confirmation (cove asks only when stdin is a terminal)");
  add_list_option(*cmd, "--filter", flags->filters,
                  "Only containers with (label=KEY[=VALUE]) or without (label!=KEY[=VALUE]) a label");
  // The callback owns the flag storage so CLI11 never writes to freed memory.
  cmd->callback([flags, &inv] { inv.action = [flags, &inv] { return prune(inv, *flags); }; });
  return cmd;
}

CLI::App* add_rm_command(CLI::App& parent, Invocation& inv, const std::string& name) {
  auto flags = std::make_shared<RmFlags>();
  CLI::App* cmd = parent.add_subcommand(name, "Remove containers");
  cmd->add_flag("-f,--force", flags->force, "Kill running containers first");
  cmd->add_flag("-v,--volumes", flags->volumes, "Also remove the containers' anonymous volumes");
  cmd->add_option("CONTAINER", flags->names, "Container names or ids")->required();
  cmd->callback([flags, &inv] { inv.action = [flags, &inv] { return rm(inv, *flags); }; });
  return cmd;
}

} // namespace cli
