// cove ps (container ls): containers with their true status, as a table, ids, JSON or template.
#include "cli/commands.hpp"
#include "cli/container_access.hpp"

#include "util/error.hpp"
#include "util/strings.hpp"

#include <ctime>
#include <iostream>
#include <memory>

namespace cli {

namespace {

struct PsFlags {
  bool all = false;
  bool quiet = false;
  bool latest = false;
  bool no_trunc = false;
  int last = -1;
  std::vector<std::string> filters;
  std::string format;
};

// One --filter KEY=VALUE; Docker's keys id, name, status, ancestor, label.
bool matches(const ContainerView& view, const std::string& filter) {
  size_t eq = filter.find('=');
  if (eq == std::string::npos)
    throw util::Error(util::cat("invalid filter ", util::quote(filter), ": expected KEY=VALUE"));
  std::string key = filter.substr(0, eq);
  std::string value = filter.substr(eq + 1);
  const storage::ContainerRecord& r = view.record;
  if (key == "id")
    return r.id.rfind(value, 0) == 0;
  if (key == "name")
    return r.name.find(value) != std::string::npos;
  if (key == "status")
    return runtime::status_word(view.state) == value;
  if (key == "ancestor")
    return r.image == value || r.image.rfind(value + ":", 0) == 0 ||
           r.image_id.str().rfind(value, 0) == 0 || r.image_id.hex().rfind(value, 0) == 0 ||
           r.image.find("/" + value) != std::string::npos;
  if (key == "label") {
    const nlohmann::json& labels = r.spec.contains("config") ? r.spec["config"].value("labels", nlohmann::json::object()) : nlohmann::json::object();
    size_t leq = value.find('=');
    std::string name = value.substr(0, leq);
    if (!labels.contains(name))
      return false;
    return leq == std::string::npos || labels[name] == value.substr(leq + 1);
  }
  throw util::Error(util::cat("invalid filter ", util::quote(key),
                              ": use id, name, status, ancestor or label"));
}

std::vector<ContainerView> select(const storage::ContainerStore& containers, const PsFlags& flags) {
  std::vector<ContainerView> views;
  bool all = flags.all || flags.latest || flags.last >= 0 || !flags.filters.empty();
  for (storage::ContainerRecord& record : containers.list()) {
    ContainerView view = view_of(containers, std::move(record));
    if (!all && view.state.status != runtime::Status::running)
      continue;
    bool keep = true;
    for (const std::string& filter : flags.filters)
      keep = keep && matches(view, filter);
    if (!keep)
      continue;
    view.ports = published_ports(containers, view);
    views.push_back(std::move(view));
  }
  size_t limit = flags.latest ? 1 : flags.last >= 0 ? static_cast<size_t>(flags.last) : views.size();
  if (views.size() > limit)
    views.erase(views.begin() + static_cast<long>(limit), views.end()); // list() is newest first
  return views;
}

int ps(const Invocation& inv, const PsFlags& flags) {
  storage::ContainerStore containers = host_containers(inv);
  std::vector<ContainerView> views = select(containers, flags);
  if (flags.quiet) {
    for (const ContainerView& view : views)
      std::cout << (flags.no_trunc ? view.record.id : view.record.id.substr(0, 12)) << '\n';
    return 0;
  }
  PsOptions options{flags.no_trunc, static_cast<long long>(std::time(nullptr))};
  std::cout << render_list(flags.format, container_list(views, options));
  return 0;
}

} // namespace

CLI::App* add_ps_command(CLI::App& parent, Invocation& inv, const std::string& name) {
  auto flags = std::make_shared<PsFlags>();
  CLI::App* cmd = parent.add_subcommand(name, "List containers");
  cmd->add_flag("-a,--all", flags->all, "Show all containers (default: running only)");
  cmd->add_flag("-q,--quiet", flags->quiet, "Print only container ids");
  cmd->add_flag("-l,--latest", flags->latest, "Show the latest created container");
  cmd->add_option("-n,--last", flags->last, "Show the N last created containers");
  cmd->add_flag("--no-trunc", flags->no_trunc, "Do not truncate ids and commands");
  cmd->add_option("-f,--filter", flags->filters,
                  "Filter: id=, name=, status=, ancestor=, label=KEY[=VALUE]");
  cmd->add_option("--format", flags->format,
                  "json, or a Go template: {{.ID}} {{.Image}} {{.Command}} {{.RunningFor}} "
                  "{{.Status}} {{.State}} {{.Ports}} {{.Names}} (\"table ...\" adds headers)");
  cmd->callback([flags, &inv] { inv.action = [flags, &inv] { return ps(inv, *flags); }; });
  return cmd;
}

} // namespace cli
