// cove network create|ls|inspect|rm|prune (connect|disconnect: network_connect.cpp): user-defined networks (records in the store; the
// bridges appear in the shared network namespace when a container first uses them).
#include "cli/commands.hpp"
#include "cli/container_access.hpp"
#include "cli/network_connect.hpp"
#include "cli/output.hpp"

#include "net/network_mode.hpp"
#include "net/network_store.hpp"
#include "runtime/control.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

#include <signal.h>
#include <unistd.h>

#include <iostream>
#include <memory>

namespace cli {

namespace {

struct CreateFlags {
  std::string subnet;
  std::string gateway;
  bool internal = false;
  std::vector<std::string> labels;
  std::string name;
};

struct ListFlags {
  bool quiet = false;
  bool no_trunc = false;
  std::string format;
};

struct RemoveFlags {
  bool force = false;
  std::vector<std::string> names;
};

net::NetworkStore network_store(const Invocation& inv) {
  return net::NetworkStore(storage_root(inv.global));
}

// True when `record`'s network mode names the network `network`.
bool uses_network(const storage::ContainerRecord& record, const net::NetworkRecord& network) {
  if (!record.spec.contains("network") || !record.spec["network"].is_string())
    return false;
  try {
    net::NetworkMode mode = net::NetworkMode::parse(record.spec["network"].get<std::string>());
    return mode.driver == net::NetworkDriver::bridge &&
           (mode.find_network(network.name) || mode.find_network(network.id));
  } catch (const util::Error&) {
    return false;
  }
}

std::vector<storage::ContainerRecord> users_of(const storage::ContainerStore& containers,
                                               const net::NetworkRecord& network) {
  std::vector<storage::ContainerRecord> users;
  for (storage::ContainerRecord& record : containers.list())
    if (uses_network(record, network))
      users.push_back(std::move(record));
  return users;
}

int create(const Invocation& inv, const CreateFlags& flags) {
  net::NetworkCreateRequest request;
  request.name = flags.name;
  if (!flags.subnet.empty())
    request.subnet = net::Subnet::parse(flags.subnet);
  if (!flags.gateway.empty()) {
    if (!request.subnet)
      throw util::Error("--gateway needs --subnet");
    request.gateway = net::Ipv4::parse(flags.gateway);
  }
  request.internal = flags.internal;
  for (const std::string& label : flags.labels) {
    size_t eq = label.find('=');
    request.labels[label.substr(0, eq)] = eq == std::string::npos ? "" : label.substr(eq + 1);
  }
  net::NetworkStore store = network_store(inv);
  util::FileLock lock = store.lock();
  std::cout << store.create(request).name << '\n';
  return 0;
}

int list(const Invocation& inv, const ListFlags& flags) {
  std::vector<net::NetworkRecord> records = network_store(inv).list();
  ListOutput out;
  out.default_format = "table {{.ID}}\t{{.Name}}\t{{.Driver}}";
  out.headers = {{"ID", "NETWORK ID"}, {"Name", "NAME"}, {"Driver", "DRIVER"},
                 {"Subnets", "SUBNETS"}, {"Internal", "INTERNAL"}, {"Created", "CREATED"}};
  out.rows = nlohmann::ordered_json::array();
  out.json = nlohmann::ordered_json::array();
  for (const net::NetworkRecord& r : records) {
    std::string id = flags.no_trunc ? r.id : r.id.substr(0, 12);
    if (flags.quiet) {
      std::cout << id << '\n';
      continue;
    }
    out.rows.push_back({{"ID", id}, {"Name", r.name}, {"Driver", r.driver},
                        {"Subnets", r.subnet.str()}, {"Internal", r.internal},
                        {"Created", r.created}});
    out.json.push_back({{"name", r.name}, {"id", r.id}, {"driver", r.driver},
                        {"subnets", {{{"subnet", r.subnet.str()}, {"gateway", r.gateway.str()}}}},
                        {"internal", r.internal}, {"labels", r.labels}, {"created", r.created}});
  }
  if (!flags.quiet)
    std::cout << render_list(flags.format, out);
  return 0;
}

// podman's inspect document: the network, and the running containers attached to it.
nlohmann::ordered_json inspect_document(const net::NetworkRecord& r) {
  nlohmann::ordered_json containers = nlohmann::ordered_json::object();
  for (const net::Endpoint& e : r.endpoints) {
    if (!e.alive())
      continue;
    containers[e.container_id] = {
        {"name", e.container_name},
        {"aliases", e.aliases},
        {"interfaces",
         {{e.interface,
           {{"subnets", {{{"ipnet", net::Subnet{e.address, r.subnet.prefix}.str()},
                          {"gateway", r.gateway.str()}}}}}}}}};
  }
  return {{"name", r.name},
          {"id", r.id},
          {"driver", r.driver},
          {"network_interface", r.bridge_name()},
          {"created", r.created},
          {"subnets", {{{"subnet", r.subnet.str()}, {"gateway", r.gateway.str()}}}},
          {"ipv6_enabled", false},
          {"internal", r.internal},
          {"dns_enabled", false},
          {"labels", r.labels},
          {"ipam_options", {{"driver", "host-local"}}},
          {"containers", containers}};
}

int inspect(const Invocation& inv, const std::vector<std::string>& names,
            const std::string& format) {
  net::NetworkStore store = network_store(inv);
  nlohmann::ordered_json documents = nlohmann::ordered_json::array();
  for_each_name(names, [&](const std::string& name) {
    documents.push_back(inspect_document(store.get(name)));
  });
  std::cout << render_document(format, documents);
  return 0;
}

// network rm -f: kills and removes the containers on the network first (podman's rule).
void remove_users(const Invocation& inv, const storage::ContainerStore& containers,
                  std::vector<storage::ContainerRecord>& users) {
  for (storage::ContainerRecord& record : users) {
    runtime::ContainerState state = runtime::refresh_state(containers, record);
    if (state.status == runtime::Status::running) {
      try {
        runtime::signal_container(record, state, SIGKILL);
      } catch (const util::Error&) {
        // It stopped in between.
      }
    }
    runtime::wait_stopped(containers, record, std::nullopt);
  }
  enter_userns(inv);
  for (const storage::ContainerRecord& record : users)
    containers.remove(record);
}

int remove(const Invocation& inv, const RemoveFlags& flags) {
  net::NetworkStore store = network_store(inv);
  storage::ContainerStore containers = host_containers(inv);
  for_each_name(flags.names, [&](const std::string& name) {
    net::NetworkRecord record = store.get(name);
    std::vector<storage::ContainerRecord> users = users_of(containers, record);
    if (!users.empty() && !flags.force) {
      std::vector<std::string> names;
      for (const storage::ContainerRecord& user : users)
        names.push_back(user.name);
      throw util::Error(util::cat("network ", record.name, " is in use by container(s) ",
                                  util::join(names, ", "),
                                  ": remove them first, or use network rm -f"));
    }
    if (!users.empty())
      remove_users(inv, containers, users);
    util::FileLock lock = store.lock();
    store.remove(record);
    std::cout << record.name << '\n';
  });
  return 0;
}

bool confirm(std::string_view question) {
  std::cout << question << " [y/N] " << std::flush;
  std::string answer;
  std::getline(std::cin, answer);
  return answer == "y" || answer == "Y" || answer == "yes";
}

int prune(const Invocation& inv, bool force) {
  if (!force && !confirm("WARNING! This will remove all networks not used by at least one "
                         "container.\nAre you sure you want to continue?"))
    return 0;
  net::NetworkStore store = network_store(inv);
  storage::ContainerStore containers = host_containers(inv);
  util::FileLock lock = store.lock();
  for (const net::NetworkRecord& record : store.list()) {
    if (!users_of(containers, record).empty())
      continue;
    store.remove(record);
    std::cout << record.name << '\n';
  }
  return 0;
}

void add_create(CLI::App& network, Invocation& inv) {
  auto flags = std::make_shared<CreateFlags>();
  CLI::App* cmd = network.add_subcommand("create", "Create a network");
  cmd->add_option("--subnet", flags->subnet, "Subnet in CIDR form (default: next free 10.89.x.0/24)");
  cmd->add_option("--gateway", flags->gateway, "Gateway address (default: first host of the subnet)");
  cmd->add_flag("--internal", flags->internal, "Restrict traffic to the network (no route out)");
  cmd->add_option("--label", flags->labels, "Set a label: K=V")->take_all();
  cmd->add_option("NAME", flags->name, "Network name")->required();
  cmd->callback([flags, &inv] { inv.action = [flags, &inv] { return create(inv, *flags); }; });
}

void add_list(CLI::App& network, Invocation& inv) {
  auto flags = std::make_shared<ListFlags>();
  CLI::App* cmd = network.add_subcommand("ls", "List networks");
  cmd->alias("list");
  cmd->add_flag("-q,--quiet", flags->quiet, "Print only network ids");
  cmd->add_flag("--no-trunc", flags->no_trunc, "Do not truncate network ids");
  cmd->add_option("--format", flags->format,
                  "json, or a Go template: {{.ID}} {{.Name}} {{.Driver}} {{.Subnets}} "
                  "{{.Internal}} {{.Created}} (\"table ...\" adds headers)");
  cmd->callback([flags, &inv] { inv.action = [flags, &inv] { return list(inv, *flags); }; });
}

void add_inspect(CLI::App& network, Invocation& inv) {
  auto names = std::make_shared<std::vector<std::string>>();
  auto format = std::make_shared<std::string>();
  CLI::App* cmd = network.add_subcommand("inspect", "Show networks in detail");
  cmd->add_option("-f,--format", *format, "json (default) or a Go template");
  cmd->add_option("NETWORK", *names, "Network names or ids")->required();
  cmd->callback([names, format, &inv] {
    inv.action = [names, format, &inv] { return inspect(inv, *names, *format); };
  });
}

void add_remove(CLI::App& network, Invocation& inv) {
  auto flags = std::make_shared<RemoveFlags>();
  CLI::App* cmd = network.add_subcommand("rm", "Remove networks");
  cmd->alias("remove");
  cmd->add_flag("-f,--force", flags->force, "Remove the containers on the network first");
  cmd->add_option("NETWORK", flags->names, "Network names or ids")->required();
  cmd->callback([flags, &inv] { inv.action = [flags, &inv] { return remove(inv, *flags); }; });
}

void add_prune(CLI::App& network, Invocation& inv) {
  auto force = std::make_shared<bool>(false);
  CLI::App* cmd = network.add_subcommand("prune", "Remove networks no container uses");
  cmd->add_flag("-f,--force", *force, "Do not ask for confirmation");
  cmd->callback([force, &inv] { inv.action = [force, &inv] { return prune(inv, *force); }; });
}

} // namespace

CLI::App* add_network_command(CLI::App& parent, Invocation& inv) {
  CLI::App* network = parent.add_subcommand("network", "Manage networks");
  network->require_subcommand(1);
  add_create(*network, inv);
  add_list(*network, inv);
  add_inspect(*network, inv);
  add_remove(*network, inv);
  add_prune(*network, inv);
  add_network_connect(*network, inv);
  add_network_disconnect(*network, inv);
  return network;
}

} // namespace cli
