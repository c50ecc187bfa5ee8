// cove volume create|ls|inspect|rm|prune: named volumes of the local driver. Creating, listing
// and inspecting stay in the host's user namespace (the volume tree is the user's own); removal
// enters the user namespace, since a volume's files may belong to sub-ids.
#include "cli/arg_scan.hpp"
#include "cli/commands.hpp"
#include "cli/container_access.hpp"
#include "cli/output.hpp"
#include "cli/prune_filter.hpp"

#include "runtime/volumes.hpp"
#include "storage/volume_store.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

#include <iostream>
#include <memory>

namespace cli {

namespace {

using nlohmann::ordered_json;

storage::VolumeStore host_volumes(const Invocation& inv) {
  return storage::VolumeStore(storage_root(inv.global));
}

ordered_json inspect_json(const storage::VolumeStore& volumes, const storage::VolumeRecord& v) {
  ordered_json labels = nullptr;
  if (!v.labels.empty())
    labels = ordered_json(v.labels);
  return {{"CreatedAt", v.created},
          {"Driver", "local"},
          {"Labels", labels},
          {"Mountpoint", volumes.data_dir(v.name).string()},
          {"Name", v.name},
          {"Options", nullptr},
          {"Scope", "local"}};
}

std::string labels_text(const std::map<std::string, std::string>& labels) {
  std::vector<std::string> parts;
  for (const auto& [key, value] : labels)
    parts.push_back(key + "=" + value);
  return util::join(parts, ",");
}

// --- create ---------------------------------------------------------------------------------

struct CreateFlags {
  std::vector<std::string> labels;
  std::vector<std::string> name; // zero or one
};

int create(const Invocation& inv, const CreateFlags& flags) {
  if (flags.name.size() > 1)
    throw util::Error("volume create: at most one name");
  std::map<std::string, std::string> labels;
  for (const std::string& label : flags.labels) {
    size_t eq = label.find('=');
    if (eq == 0)
      throw util::Error(util::cat("invalid label ", util::quote(label), ": no key"));
    labels[label.substr(0, eq)] = eq == std::string::npos ? "" : label.substr(eq + 1);
  }
  storage::VolumeStore volumes = host_volumes(inv);
  util::FileLock lock = volumes.lock();
  std::string name = flags.name.empty() ? std::string() : flags.name.front();
  storage::VolumeRecord record =
      volumes.create(lock, name, labels, storage::VolumeKind::named);
  std::cout << record.name << '\n';
  return 0;
}

// --- ls -------------------------------------------------------------------------------------

struct LsFlags {
  bool quiet = false;
  std::string format;
};

int ls(const Invocation& inv, const LsFlags& flags) {
  storage::VolumeStore volumes = host_volumes(inv);
  std::vector<storage::VolumeRecord> records = volumes.list();
  if (flags.quiet) {
    for (const storage::VolumeRecord& v : records)
      std::cout << v.name << '\n';
    return 0;
  }
  ListOutput list;
  list.default_format = "table {{.Driver}}\t{{.Name}}";
  list.headers = {{"Driver", "DRIVER"},         {"Name", "VOLUME NAME"}, {"Mountpoint", "MOUNTPOINT"},
                  {"Labels", "LABELS"},         {"Scope", "SCOPE"},      {"CreatedAt", "CREATED AT"}};
  list.rows = ordered_json::array();
  list.json = ordered_json::array();
  for (const storage::VolumeRecord& v : records) {
    list.rows.push_back({{"Driver", "local"},
                         {"Name", v.name},
                         {"Mountpoint", volumes.data_dir(v.name).string()},
                         {"Labels", labels_text(v.labels)},
                         {"Scope", "local"},
                         {"CreatedAt", v.created}});
    list.json.push_back(inspect_json(volumes, v));
  }
  std::cout << render_list(flags.format, list);
  return 0;
}

// --- inspect --------------------------------------------------------------------------------

struct InspectFlags {
  std::string format;
  std::vector<std::string> names;
};

int inspect(const Invocation& inv, const InspectFlags& flags) {
  storage::VolumeStore volumes = host_volumes(inv);
  ordered_json documents = ordered_json::array();
  std::vector<std::string> missing;
  for (const std::string& name : flags.names) {
    if (std::optional<storage::VolumeRecord> v = volumes.lookup(name))
      documents.push_back(inspect_json(volumes, *v));
    else
      missing.push_back(name);
  }
  if (!documents.empty() || flags.format.empty() || flags.format == "json")
    std::cout << render_document(flags.format, documents) << std::flush;
  for_each_name(missing, [](const std::string& name) {
    throw util::Error(util::cat("no such volume: ", util::quote(name)));
  });
  return 0;
}

// --- rm, prune ------------------------------------------------------------------------------

struct RmFlags {
  bool force = false;
  std::vector<std::string> names;
};

int rm(const Invocation& inv, const RmFlags& flags) {
  enter_userns(inv);
  storage::VolumeStore volumes = host_volumes(inv);
  storage::ContainerStore containers = host_containers(inv);
  runtime::InUse in_use = flags.force ? runtime::InUse::remove : runtime::InUse::refuse;
  for_each_name(flags.names, [&](const std::string& name) {
    runtime::remove_volume(volumes, containers, name, in_use);
    std::cout << name << '\n';
  });
  return 0;
}

struct PruneFlags {
  bool force = false;
  std::vector<std::string> filters;
};

int prune(const Invocation& inv, const PruneFlags& flags) {
  std::vector<LabelFilter> filters = parse_label_filters(flags.filters);
  runtime::VolumeSelector selected = [&](const storage::VolumeRecord& volume) {
    return matches_all(filters, volume.labels);
  };
  if (!flags.force) {
    std::vector<std::string> doomed =
        runtime::unused_volumes(host_volumes(inv), host_containers(inv), selected);
    if (!confirm_prune("WARNING! This will remove all volumes not used by at least one container. "
                       "The following volumes will be removed:",
                       doomed))
      return 0;
  }
  enter_userns(inv);
  storage::VolumeStore volumes = host_volumes(inv);
  for (const std::string& name : runtime::prune_volumes(volumes, host_containers(inv), selected))
    std::cout << name << '\n';
  return 0;
}

template <typename Flags, typename Fn>
void set_action(CLI::App* cmd, Invocation& inv, std::shared_ptr<Flags> flags, Fn fn) {
  // The callback owns the flag storage so CLI11 never writes to freed memory.
  cmd->callback([flags, &inv, fn] { inv.action = [flags, &inv, fn] { return fn(inv, *flags); }; });
}

} // namespace

CLI::App* add_volume_command(CLI::App& parent, Invocation& inv) {
  CLI::App* group = parent.add_subcommand("volume", "Manage volumes");

  auto create_flags = std::make_shared<CreateFlags>();
  CLI::App* create_cmd = group->add_subcommand("create", "Create a volume");
  add_list_option(*create_cmd, "-l,--label", create_flags->labels, "Set a label: KEY=VALUE");
  create_cmd->add_option("NAME", create_flags->name, "Volume name (generated when omitted)");
  set_action(create_cmd, inv, create_flags, create);

  auto ls_flags = std::make_shared<LsFlags>();
  CLI::App* ls_cmd = group->add_subcommand("ls", "List volumes");
  ls_cmd->alias("list");
  ls_cmd->add_flag("-q,--quiet", ls_flags->quiet, "Print only volume names");
  ls_cmd->add_option("--format", ls_flags->format,
                     "json, or a Go template: {{.Name}} {{.Driver}} {{.Mountpoint}} {{.Labels}} "
                     "{{.Scope}} {{.CreatedAt}} (\"table ...\" adds headers)");
  set_action(ls_cmd, inv, ls_flags, ls);

  auto inspect_flags = std::make_shared<InspectFlags>();
  CLI::App* inspect_cmd = group->add_subcommand("inspect", "Show details of volumes as JSON");
  inspect_cmd->add_option("-f,--format", inspect_flags->format,
                          "json, or a Go template such as {{.Mountpoint}}");
  inspect_cmd->add_option("VOLUME", inspect_flags->names, "Volume names")->required();
  set_action(inspect_cmd, inv, inspect_flags, inspect);

  auto rm_flags = std::make_shared<RmFlags>();
  CLI::App* rm_cmd = group->add_subcommand("rm", "Remove volumes");
  rm_cmd->alias("remove");
  rm_cmd->add_flag("-f,--force", rm_flags->force, "Remove volumes even while containers use them");
  rm_cmd->add_option("VOLUME", rm_flags->names, "Volume names")->required();
  set_action(rm_cmd, inv, rm_flags, rm);

  auto prune_flags = std::make_shared<PruneFlags>();
  CLI::App* prune_cmd = group->add_subcommand("prune", "Remove all volumes no container uses");
  prune_cmd->add_flag("-f,--force", prune_flags->force,
                      "Do not ask for confirmation (cove asks only when stdin is a terminal)");
  add_list_option(*prune_cmd, "--filter", prune_flags->filters,
                  "Only volumes with (label=KEY[=VALUE]) or without (label!=KEY[=VALUE]) a label");
  set_action(prune_cmd, inv, prune_flags, prune);
  return group;
}

} // namespace cli
